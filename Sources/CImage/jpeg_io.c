#include "cimage.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

static int fail(tjhandle h, char *err, size_t errlen) {
    snprintf(err, errlen, "%s", tjGetErrorStr2(h));
    tjDestroy(h);
    return -1;
}

// The size from the header. TurboJPEG 2.1 returns success without setting it for a
// tables-only stream (no frame), so the size starts at 0 and must come out positive.
static int read_header(tjhandle h, const uint8_t *data, size_t size, int *width, int *height,
                       char *err, size_t errlen) {
    int subsamp, colorspace;
    *width = 0; *height = 0;
    if (tjDecompressHeader3(h, data, (unsigned long)size, width, height, &subsamp, &colorspace) != 0)
        return fail(h, err, errlen);
    if (*width <= 0 || *height <= 0) {
        snprintf(err, errlen, "no image in the JPEG data (tables only)");
        tjDestroy(h);
        return -1;
    }
    return 0;
}

int cimage_jpeg_header(const uint8_t *data, size_t size, int *width, int *height,
                       char *err, size_t errlen) {
    tjhandle h = tjInitDecompress();
    if (!h) { snprintf(err, errlen, "cannot start the JPEG decoder"); return -1; }
    if (read_header(h, data, size, width, height, err, errlen) != 0) return -1;
    tjDestroy(h);
    return 0;
}

int cimage_jpeg_decode(const uint8_t *data, size_t size, uint8_t **pixels,
                       int *width, int *height, char *err, size_t errlen) {
    *pixels = NULL;
    tjhandle h = tjInitDecompress();
    if (!h) { snprintf(err, errlen, "cannot start the JPEG decoder"); return -1; }
    int w, hh;
    if (read_header(h, data, size, &w, &hh, err, errlen) != 0) return -1;
    if ((unsigned long long)w * hh > CIMAGE_MAX_PIXELS) {
        snprintf(err, errlen, "%d x %d pixels, more than the %llu a decoded image may have", w, hh,
                 CIMAGE_MAX_PIXELS);
        tjDestroy(h);
        return -1;
    }
    uint8_t *buf = (uint8_t *)malloc((size_t)w * hh * 3);
    if (!buf) { tjDestroy(h); snprintf(err, errlen, "out of memory"); return -1; }
    // STOPONWARNING: a truncated file is an error, not a half-grey picture.
    if (tjDecompress2(h, data, (unsigned long)size, buf, w, 0, hh, TJPF_RGB,
                      TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING) != 0) {
        free(buf);
        return fail(h, err, errlen);
    }
    tjDestroy(h);
    *pixels = buf; *width = w; *height = hh;
    return 0;
}

int cimage_jpeg_encode(const uint8_t *rgb, int width, int height, int quality,
                       uint8_t **out, size_t *out_size, char *err, size_t errlen) {
    tjhandle h = tjInitCompress();
    if (!h) { snprintf(err, errlen, "cannot start the JPEG encoder"); return -1; }
    unsigned char *buf = NULL;
    unsigned long len = 0;
    if (tjCompress2(h, rgb, width, 0, height, TJPF_RGB, &buf, &len, TJSAMP_420, quality,
                    TJFLAG_ACCURATEDCT) != 0) {
        tjFree(buf);
        return fail(h, err, errlen);
    }
    tjDestroy(h);
    // Hand back a malloc'ed copy so one free function serves every buffer.
    uint8_t *copy = (uint8_t *)malloc(len);
    if (!copy) { tjFree(buf); snprintf(err, errlen, "out of memory"); return -1; }
    memcpy(copy, buf, len);
    tjFree(buf);
    *out = copy; *out_size = len;
    return 0;
}
