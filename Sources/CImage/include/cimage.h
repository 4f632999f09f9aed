// Image codecs for eps-dist: PNG through libpng (setjmp stays inside C,
// Swift never sees a longjmp) and JPEG through the TurboJPEG 2.1 tj* API.
// Every function returns 0 on success, or -1 with a message in `err`.
#ifndef CIMAGE_H
#define CIMAGE_H
#include <stddef.h>
#include <stdint.h>

/// The most pixels a decoded PNG or JPEG may have: Pillow's decompression-bomb threshold
/// (MAX_IMAGE_PIXELS = 1024^3 / 4 / 3). A larger image is an error before anything of its
/// size is allocated (a header can claim 65535 x 65535 in a few bytes).
#define CIMAGE_MAX_PIXELS 89478485ULL

/// Decodes the `size` bytes of a PNG file. With `want_indices` a palette PNG
/// yields its raw palette indices (1 channel); otherwise palettes expand to
/// RGB. Grey stays 1 channel, RGB(A)/grey-alpha drop alpha. 16-bit is reduced
/// to 8 bits. `*pixels` is malloc'ed HWC uint8; free it with cimage_free.
int cimage_png_decode(const uint8_t *data, size_t size, int want_indices, uint8_t **pixels,
                      int *width, int *height, int *channels, char *err, size_t errlen);

/// Encodes an 8-bit PNG with 1 (grey, or palette when `palette_rgb` is given
/// with `palette_size` entries) or 3 channels into a malloc'ed buffer (free it
/// with cimage_free).
int cimage_png_encode(const uint8_t *pixels, int width, int height, int channels,
                      const uint8_t *palette_rgb, int palette_size,
                      uint8_t **out, size_t *out_size, char *err, size_t errlen);

/// Width and height of a JPEG without decoding it.
int cimage_jpeg_header(const uint8_t *data, size_t size, int *width, int *height,
                       char *err, size_t errlen);

/// Decodes a JPEG into RGB HWC uint8 (malloc'ed; free with cimage_free).
/// Truncated or corrupt data is an error, not a grey image.
int cimage_jpeg_decode(const uint8_t *data, size_t size, uint8_t **pixels,
                       int *width, int *height, char *err, size_t errlen);

/// Encodes RGB HWC uint8 as a JPEG (4:2:0, given quality) into a malloc'ed buffer.
int cimage_jpeg_encode(const uint8_t *rgb, int width, int height, int quality,
                       uint8_t **out, size_t *out_size, char *err, size_t errlen);

void cimage_free(void *p);
#endif
