/* The one writer of whole files (outfile.h). */
#define _POSIX_C_SOURCE 200809L /* fsync, O_CLOEXEC, clock_gettime, strndup, dirfd */
#define _XOPEN_SOURCE 700       /* realpath */

#include "outfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *mlp__file_kind(unsigned mode)
{
    if (S_ISREG(mode)) return "a regular file";
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISLNK(mode)) return "a symbolic link";
    return "not a regular file";
}

/* o->msg from a format; returns -1, the failure. */
static int fail(mlp__outfile *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(mlp__outfile *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    free(o->msg);
    o->msg = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (o->msg != NULL) {
        va_start(ap, fmt);
        vsnprintf(o->msg, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* The directory part of `path` ("." when it has none), in a new string. */
static char *directory_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* Make the rename itself durable: fsync the directory that holds `path`. */
static void sync_directory(const char *path)
{
    char *dir = directory_of(path);
    if (dir == NULL) return;
    const int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd); /* best effort: some file systems refuse fsync on directories */
        close(fd);
    }
    free(dir);
}

/* Temporary files are named "<base>.tmp-<pid>-<8 hex digits>" beside the target,
 * with <base> the target's name cut so that the whole fits NAME_MAX. */
enum { TMP_SUFFIX_MAX = 32 }; /* ".tmp-" + a pid of up to 19 digits + "-" + 8 hex */

/* The length of the target's name the temporary names keep. */
static size_t kept_base(const char *base)
{
    const size_t len = strlen(base), room = NAME_MAX - TMP_SUFFIX_MAX;
    return len < room ? len : room;
}

/* Create a new file beside `path` with a name no one else uses, as open(2) with
 * O_EXCL makes sure, and mode 0666 less the umask. (mkstemp would give 0600, and
 * reading the umask means setting it: process-wide state another thread may be
 * using.) Returns the descriptor, or -1 with errno set. */
static int create_temporary(char *tmp, size_t cap, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    const int dir_len = (int)(base - path), base_len = (int)kept_base(base);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t x = (uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 30) ^ (uint64_t)(uintptr_t)tmp;
    for (int attempt = 0; attempt < 100; attempt++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        snprintf(tmp, cap, "%.*s%.*s.tmp-%ld-%08llx", dir_len, path, base_len, base,
                 (long)getpid(), (unsigned long long)(x >> 32));
        const int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    return -1;
}

/* After a write to `path`: remove the temporary files of earlier writes to it whose
 * process is gone (a writer killed between creating its temporary file and renaming
 * it leaves one behind). A file whose process still runs, this one included, may be
 * a write in progress and is left alone. Best effort: failures change nothing. */
static void remove_leftovers(const char *path)
{
    char *dir = directory_of(path);
    if (dir == NULL) return;
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    const size_t keep = kept_base(base);
    DIR *d = opendir(dir);
    if (d == NULL) {
        free(dir);
        return;
    }
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        if (strncmp(name, base, keep) != 0 || strncmp(name + keep, ".tmp-", 5) != 0) continue;
        char *end;
        errno = 0;
        const long pid = strtol(name + keep + 5, &end, 10);
        if (errno != 0 || pid <= 0 || *end != '-' || strlen(end + 1) != 8 ||
            strspn(end + 1, "0123456789abcdef") != 8 || pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* alive, or not ours to tell */
        unlinkat(dirfd(d), name, 0);
    }
    closedir(d);
    free(dir);
}

static int out_of_memory(mlp__outfile *o)
{
    o->nomem = 1;
    return fail(o, "cannot allocate a path");
}

int mlp__outfile_open(mlp__outfile *o, const char *path)
{
    *o = (mlp__outfile){.fd = -1};
    struct stat st;
    int exists = 0;
    if (lstat(path, &st) != 0) {
        if (errno != ENOENT) return fail(o, "cannot stat %s: %s", path, strerror(errno));
        o->target = strdup(path);
    } else {
        if (S_ISLNK(st.st_mode)) {
            o->target = realpath(path, NULL);
            if (o->target == NULL)
                return fail(o, "%s is a symbolic link that leads nowhere (%s); nothing written",
                            path, strerror(errno));
            if (stat(o->target, &st) != 0)
                return fail(o, "cannot stat %s: %s", path, strerror(errno));
        } else {
            o->target = strdup(path);
        }
        if (o->target != NULL && !S_ISREG(st.st_mode))
            return fail(o, "%s is %s; it is left as it is, nothing written", path,
                        mlp__file_kind(st.st_mode));
        exists = 1;
    }
    if (o->target == NULL) return out_of_memory(o);
    const size_t cap = strlen(o->target) + TMP_SUFFIX_MAX + 2;
    char *tmp = malloc(cap);
    if (tmp == NULL) return out_of_memory(o);
    o->fd = create_temporary(tmp, cap, o->target);
    if (o->fd < 0) {
        const int err = errno;
        free(tmp);
        return fail(o, "cannot create a temporary file beside %s (%s); %s is unchanged",
                    o->target, strerror(err), path);
    }
    o->tmp = tmp;
    if (exists) {
        /* The owner where permitted (root may give it away, others get EPERM and keep
         * their own), then the mode, which chown may have cleared bits of. */
        if (fchown(o->fd, st.st_uid, st.st_gid) != 0 && errno != EPERM)
            return fail(o, "cannot give the owner to %s (%s); %s is unchanged", o->tmp,
                        strerror(errno), path);
        if (fchmod(o->fd, st.st_mode & 07777) != 0)
            return fail(o, "cannot chmod %s (%s); %s is unchanged", o->tmp, strerror(errno),
                        path);
    }
    return 0;
}

FILE *mlp__outfile_stream(mlp__outfile *o)
{
    if (o->stream == NULL) {
        o->stream = fdopen(o->fd, "w");
        if (o->stream == NULL) {
            fail(o, "cannot write to %s (%s)", o->tmp, strerror(errno));
            return NULL;
        }
    }
    return o->stream;
}

int mlp__outfile_commit(mlp__outfile *o)
{
    const char *step = NULL;
    int err = 0;
    if (o->stream != NULL) {
        errno = 0;
        if (fflush(o->stream) != 0 || ferror(o->stream)) err = errno ? errno : EIO, step = "write";
    }
    if (err == 0 && fsync(o->fd) != 0) err = errno, step = "fsync";
    const int closed = o->stream != NULL ? fclose(o->stream) : close(o->fd);
    if (closed != 0 && err == 0) err = errno, step = "close";
    o->stream = NULL;
    o->fd = -1;
    if (err == 0 && rename(o->tmp, o->target) != 0) err = errno, step = "rename";
    if (err != 0) {
        unlink(o->tmp);
        fail(o, "cannot %s %s (%s); %s is unchanged", step, o->tmp, strerror(err), o->target);
        free(o->tmp);
        o->tmp = NULL;
        return -1;
    }
    sync_directory(o->target);
    remove_leftovers(o->target);
    free(o->tmp);
    free(o->target);
    free(o->msg);
    *o = (mlp__outfile){.fd = -1};
    return 0;
}

void mlp__outfile_abort(mlp__outfile *o)
{
    if (o->stream != NULL) fclose(o->stream);
    else if (o->fd >= 0) close(o->fd);
    if (o->tmp != NULL) unlink(o->tmp);
    free(o->tmp);
    free(o->target);
    free(o->msg);
    *o = (mlp__outfile){.fd = -1};
}
