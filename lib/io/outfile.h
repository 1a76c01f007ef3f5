/* A file replaced all at once: written beside its target under a name no one else
 * can have chosen, then renamed over it. The one writer of every file libmlp and the
 * mlp command write (model files, checkpoints, predictions, exports); plain C and
 * POSIX, so that the command builds it too (tools/meson.build) without reaching into
 * the library's internals.
 *
 * What stands at the path decides: nothing, or a regular file (replaced; its mode and,
 * where permitted, its owner kept), or a symbolic link (followed as editors follow it:
 * the link stays and the file it leads to is replaced). A FIFO, a device, a socket or
 * a directory is refused and left as it is. On any failure the target is untouched
 * and the temporary file removed. */
#ifndef MLP_OUTFILE_H
#define MLP_OUTFILE_H

#include <stdio.h>
#include <sys/stat.h>

typedef struct mlp__outfile {
    char *target;     /* the file the rename replaces: the path, or where its link leads */
    char *tmp;        /* the temporary file beside it, NULL until created */
    int fd;           /* open on tmp, or -1 */
    FILE *stream;     /* fdopen(fd), when asked for */
    int nomem;        /* the failure was an allocation's */
    char *msg;        /* after a failure, why (NULL when there was no memory to say it) */
} mlp__outfile;

/* Every mlp__outfile_open() ends with a successful mlp__outfile_commit() or with
 * mlp__outfile_abort(); after a failure, read o->msg and then abort. */

/* Open the temporary file for `path`. 0, or -1 with o->msg ("PATH is a FIFO; it is
 * left as it is, nothing written"); the target untouched, nothing left behind. */
int mlp__outfile_open(mlp__outfile *o, const char *path);

/* The temporary file as a stdio stream, or NULL with o->msg. The stream belongs to o:
 * commit and abort close it. */
FILE *mlp__outfile_stream(mlp__outfile *o);

/* Flush, fsync, close and rename over the target, then fsync its directory and remove
 * what earlier writers killed midway left beside it. 0 (and o holds nothing more), or
 * -1 with o->msg ("cannot fsync TMP (Input/output error); PATH is unchanged") and
 * the temporary file removed. */
int mlp__outfile_commit(mlp__outfile *o);

/* Close and remove the temporary file (the target untouched) and free what o holds. */
void mlp__outfile_abort(mlp__outfile *o);

/* What a file of this st_mode is, for messages: "a directory", "a FIFO", ... */
const char *mlp__file_kind(unsigned mode);

#endif
