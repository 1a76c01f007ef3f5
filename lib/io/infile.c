/* Files read whole: opened without blocking, refused unless regular, read through
 * short reads (the model loader, read.c, and the ONNX importer). */
#define _POSIX_C_SOURCE 200809L /* O_CLOEXEC, fstat */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format.h"
#include "outfile.h"

ssize_t mlp__read_all(int fd, unsigned char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        const ssize_t k = read(fd, buf + got, len - got);
        if (k < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (k == 0) break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

/* Open a regular file to read: without blocking (a FIFO with no writer would
 * otherwise block the open for ever), then refused unless it is a regular file. The
 * descriptor (blocking again) and the file's size, or MLP_ERR_IO with the reason. */
mlp_status mlp__open_regular(const char *path, int *fd_out, size_t *len, const char *fn)
{
    MLP_CHECK(path != NULL && path[0] != '\0', MLP_ERR_INVALID_ARG, "%s: path is NULL or empty",
              fn);
    const int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    MLP_CHECK(fd >= 0, MLP_ERR_IO, "%s: cannot open %s: %s", fn, path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        const int err = errno;
        close(fd);
        return mlp__fail(MLP_ERR_IO, "%s: cannot stat %s: %s", fn, path, strerror(err));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return mlp__fail(MLP_ERR_IO, "%s: %s is %s, not a regular file; nothing read", fn, path,
                         mlp__file_kind(st.st_mode));
    }
    /* A regular file never blocks; reading it normally keeps to the usual semantics. */
    const int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    *fd_out = fd;
    *len = (size_t)st.st_size;
    return MLP_OK;
}

mlp_status mlp__read_file(const char *path, unsigned char **buf, size_t *size, size_t max,
                          const char *fn)
{
    int fd;
    size_t len;
    mlp_status s = mlp__open_regular(path, &fd, &len, fn);
    if (s != MLP_OK) return s;
    if (len > max) {
        close(fd);
        return mlp__fail(MLP_ERR_FORMAT, "%s: %s is %zu bytes, more than the %zu this reads", fn,
                         path, len, max);
    }
    unsigned char *b = malloc(len ? len : 1);
    if (b == NULL) {
        close(fd);
        return mlp__fail(MLP_ERR_NOMEM, "%s: cannot allocate %zu bytes for %s", fn, len, path);
    }
    const ssize_t got = mlp__read_all(fd, b, len);
    const int err = errno;
    close(fd);
    if (got < 0 || (size_t)got != len) {
        free(b);
        if (got < 0)
            return mlp__fail(MLP_ERR_IO, "%s: cannot read %s: %s", fn, path, strerror(err));
        return mlp__fail(MLP_ERR_FORMAT, "%s: %s became shorter while it was read", fn, path);
    }
    *buf = b;
    *size = len;
    return MLP_OK;
}

