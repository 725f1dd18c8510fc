// Run-time zlib: loads libz with dlopen so that the package builds and runs without zlib
// development headers, and decompresses gzip or zlib streams with an output cap.

#include "CFeedforwardKernels.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

// A minimal copy of zlib's z_stream. Its layout has been stable since zlib 1.0 and
// inflateInit2_ checks the structure size we pass against the library's own.
typedef struct ff_z_stream {
    const uint8_t *next_in;
    unsigned int avail_in;
    unsigned long total_in;
    uint8_t *next_out;
    unsigned int avail_out;
    unsigned long total_out;
    const char *msg;
    void *state;
    void *zalloc;
    void *zfree;
    void *opaque;
    int data_type;
    unsigned long adler;
    unsigned long reserved;
} ff_z_stream;

enum {
    FF_Z_OK = 0,
    FF_Z_STREAM_END = 1,
    FF_Z_NEED_DICT = 2,
    FF_Z_STREAM_ERROR = -2,
    FF_Z_DATA_ERROR = -3,
    FF_Z_MEM_ERROR = -4,
    FF_Z_BUF_ERROR = -5,
    FF_Z_VERSION_ERROR = -6,
    FF_Z_NO_FLUSH = 0,
};

typedef const char *(*ff_zlib_version_fn)(void);
typedef int (*ff_inflate_init2_fn)(ff_z_stream *, int, const char *, int);
typedef int (*ff_inflate_fn)(ff_z_stream *, int);
typedef int (*ff_inflate_end_fn)(ff_z_stream *);
typedef int (*ff_inflate_reset_fn)(ff_z_stream *);

static pthread_once_t ff_zlib_once = PTHREAD_ONCE_INIT;
static ff_zlib_version_fn ff_zlibVersion;
static ff_inflate_init2_fn ff_inflateInit2_;
static ff_inflate_fn ff_inflate;
static ff_inflate_end_fn ff_inflateEnd;
static ff_inflate_reset_fn ff_inflateReset;
static int ff_zlib_loaded;

static void ff_zlib_load_once(void) {
    static const char *const names[] = {
#if defined(__APPLE__)
        "libz.1.dylib", "libz.dylib", "/usr/lib/libz.1.dylib",
#else
        "libz.so.1", "libz.so",
#endif
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        void *handle = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (handle == NULL) continue;
        ff_zlib_version_fn version = (ff_zlib_version_fn)dlsym(handle, "zlibVersion");
        ff_inflate_init2_fn init2 = (ff_inflate_init2_fn)dlsym(handle, "inflateInit2_");
        ff_inflate_fn inflate_fn = (ff_inflate_fn)dlsym(handle, "inflate");
        ff_inflate_end_fn end = (ff_inflate_end_fn)dlsym(handle, "inflateEnd");
        ff_inflate_reset_fn reset = (ff_inflate_reset_fn)dlsym(handle, "inflateReset");
        const char *v = version ? version() : NULL;
        // zlib 1.x is the only ABI whose z_stream layout matches ours.
        if (version && init2 && inflate_fn && end && reset && v && v[0] == '1') {
            ff_zlibVersion = version;
            ff_inflateInit2_ = init2;
            ff_inflate = inflate_fn;
            ff_inflateEnd = end;
            ff_inflateReset = reset;
            ff_zlib_loaded = 1;
            return;  // the handle stays open for the life of the process
        }
        dlclose(handle);
    }
}

static int ff_zlib_load(void) {
    pthread_once(&ff_zlib_once, ff_zlib_load_once);
    return ff_zlib_loaded;
}

static size_t ff_min_size(size_t a, size_t b) { return a < b ? a : b; }

// Returns 1 when the bytes are all zero (padding some tools append after the last member).
static int ff_all_zero(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (p[i] != 0) return 0;
    }
    return 1;
}

ff_inflate_status ff_gunzip(const uint8_t *input, size_t input_size, uint8_t *output,
                            size_t output_capacity, size_t *output_size) {
    if (output_size == NULL) return FF_INFLATE_CORRUPT;
    *output_size = 0;
    if (!ff_zlib_load()) return FF_INFLATE_NO_ZLIB;
    if (input == NULL || input_size == 0) return FF_INFLATE_TRUNCATED;

    ff_z_stream stream;
    memset(&stream, 0, sizeof stream);
    int rc = ff_inflateInit2_(&stream, 15 + 32, ff_zlibVersion(), (int)sizeof(ff_z_stream));
    if (rc != FF_Z_OK) return rc == FF_Z_MEM_ERROR ? FF_INFLATE_OUT_OF_MEMORY : FF_INFLATE_NO_ZLIB;

    size_t in_pos = 0;    // bytes of input consumed
    size_t out_pos = 0;   // bytes of output produced
    uint8_t probe;        // where one byte past the caller's buffer goes, to detect more output
    ff_inflate_status status = FF_INFLATE_OK;

    for (;;) {
        int full = out_pos == output_capacity;
        stream.next_in = input + in_pos;
        stream.avail_in = (unsigned int)ff_min_size(input_size - in_pos, UINT_MAX);
        stream.next_out = full ? &probe : output + out_pos;
        stream.avail_out = full ? 1 : (unsigned int)ff_min_size(output_capacity - out_pos, UINT_MAX);
        unsigned int before_in = stream.avail_in;
        unsigned int before_out = stream.avail_out;
        rc = ff_inflate(&stream, FF_Z_NO_FLUSH);
        in_pos += before_in - stream.avail_in;
        if (full) {
            if (stream.avail_out == 0) { status = FF_INFLATE_TOO_LARGE; break; }
        } else {
            out_pos += before_out - stream.avail_out;
        }

        if (rc == FF_Z_OK || rc == FF_Z_BUF_ERROR) {
            // Without progress and with all input used, the stream was cut short.
            if (in_pos == input_size && stream.avail_out > 0) { status = FF_INFLATE_TRUNCATED; break; }
            continue;
        }
        if (rc != FF_Z_STREAM_END) {
            status = rc == FF_Z_MEM_ERROR ? FF_INFLATE_OUT_OF_MEMORY : FF_INFLATE_CORRUPT;
            break;
        }
        // One gzip member (or zlib stream) is complete; another gzip member may follow.
        if (in_pos == input_size || ff_all_zero(input + in_pos, input_size - in_pos)) break;
        if (input_size - in_pos >= 2 && input[in_pos] == 0x1f && input[in_pos + 1] == 0x8b) {
            if (ff_inflateReset(&stream) != FF_Z_OK) { status = FF_INFLATE_CORRUPT; break; }
            continue;
        }
        status = FF_INFLATE_CORRUPT;  // trailing bytes that are not another member
        break;
    }
    ff_inflateEnd(&stream);
    *output_size = out_pos;
    return status;
}

ff_inflate_status ff_gunzip_prefix(const uint8_t *input, size_t input_size, uint8_t *prefix,
                                   size_t prefix_capacity, size_t *prefix_size) {
    if (prefix_size == NULL) return FF_INFLATE_CORRUPT;
    *prefix_size = 0;
    if (!ff_zlib_load()) return FF_INFLATE_NO_ZLIB;
    if (input == NULL || input_size == 0) return FF_INFLATE_TRUNCATED;
    if (prefix == NULL || prefix_capacity == 0) return FF_INFLATE_OK;

    ff_z_stream stream;
    memset(&stream, 0, sizeof stream);
    int rc = ff_inflateInit2_(&stream, 15 + 32, ff_zlibVersion(), (int)sizeof(ff_z_stream));
    if (rc != FF_Z_OK) return rc == FF_Z_MEM_ERROR ? FF_INFLATE_OUT_OF_MEMORY : FF_INFLATE_NO_ZLIB;

    size_t in_pos = 0, out_pos = 0;
    ff_inflate_status status = FF_INFLATE_OK;
    while (out_pos < prefix_capacity) {
        stream.next_in = input + in_pos;
        stream.avail_in = (unsigned int)ff_min_size(input_size - in_pos, UINT_MAX);
        stream.next_out = prefix + out_pos;
        stream.avail_out = (unsigned int)ff_min_size(prefix_capacity - out_pos, UINT_MAX);
        unsigned int before_in = stream.avail_in, before_out = stream.avail_out;
        rc = ff_inflate(&stream, FF_Z_NO_FLUSH);
        in_pos += before_in - stream.avail_in;
        out_pos += before_out - stream.avail_out;
        if (rc == FF_Z_STREAM_END) {
            if (in_pos < input_size && input_size - in_pos >= 2 && input[in_pos] == 0x1f &&
                input[in_pos + 1] == 0x8b) {
                if (ff_inflateReset(&stream) != FF_Z_OK) { status = FF_INFLATE_CORRUPT; break; }
                continue;
            }
            break;  // the whole stream is shorter than the prefix
        }
        if (rc == FF_Z_OK || rc == FF_Z_BUF_ERROR) {
            if (in_pos == input_size && out_pos < prefix_capacity) { status = FF_INFLATE_TRUNCATED; break; }
            continue;
        }
        status = rc == FF_Z_MEM_ERROR ? FF_INFLATE_OUT_OF_MEMORY : FF_INFLATE_CORRUPT;
        break;
    }
    ff_inflateEnd(&stream);
    *prefix_size = out_pos;
    return status;
}

const char *ff_zlib_version(void) {
    return ff_zlib_load() ? ff_zlibVersion() : NULL;
}
