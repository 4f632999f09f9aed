#include "cimage.h"
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { char *err; size_t errlen; } err_sink;

static void on_png_error(png_structp png, png_const_charp msg) {
    err_sink *sink = (err_sink *)png_get_error_ptr(png);
    if (sink && sink->err) snprintf(sink->err, sink->errlen, "%s", msg);
    png_longjmp(png, 1);
}
static void on_png_warning(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

typedef struct { const uint8_t *data; size_t size, at; } byte_source;

static void read_bytes(png_structp png, png_bytep out, png_size_t n) {
    byte_source *src = (byte_source *)png_get_io_ptr(png);
    if (n > src->size - src->at) png_error(png, "truncated PNG data");
    memcpy(out, src->data + src->at, n);
    src->at += n;
}

int cimage_png_decode(const uint8_t *data, size_t size, int want_indices, uint8_t **pixels,
                      int *width, int *height, int *channels, char *err, size_t errlen) {
    *pixels = NULL;
    if (size < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        snprintf(err, errlen, "not a PNG file"); return -1;
    }
    byte_source src = { data, size, 8 };
    err_sink sink = { err, errlen };
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &sink, on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) { png_destroy_read_struct(&png, &info, NULL); snprintf(err, errlen, "out of memory"); return -1; }
    uint8_t *volatile buffer = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free(buffer); free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    png_set_read_fn(png, &src, read_bytes);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    if ((unsigned long long)w * h > CIMAGE_MAX_PIXELS) {
        snprintf(err, errlen, "%u x %u pixels, more than the %llu a decoded image may have", (unsigned)w,
                 (unsigned)h, CIMAGE_MAX_PIXELS);
        png_longjmp(png, 1);
    }
    int color = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
    if (want_indices && depth == 16) {
        // Stripping to 8 bits would divide every class index by 256 (all background).
        snprintf(err, errlen, "a 16-bit PNG; class-index masks are 8-bit grey or palette PNGs, save it as 8-bit");
        png_longjmp(png, 1);
    }
    if (depth == 16) png_set_strip_16(png);
    if (depth < 8) png_set_packing(png);
    if (color == PNG_COLOR_TYPE_PALETTE) {
        if (!want_indices) png_set_palette_to_rgb(png);
    } else if (color == PNG_COLOR_TYPE_GRAY && depth < 8 && !want_indices) {
        // Scales to 0…255 for pictures; indices keep their values (packing alone unpacks them).
        png_set_expand_gray_1_2_4_to_8(png);
    }
    if (color & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
    if (!(color == PNG_COLOR_TYPE_PALETTE && want_indices)) {
        // tRNS chunks would add an alpha channel after expansion; drop them.
        if (png_get_valid(png, info, PNG_INFO_tRNS)) {
            png_set_tRNS_to_alpha(png);
            png_set_strip_alpha(png);
        }
    }
    png_read_update_info(png, info);
    int ch = png_get_channels(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    if (ch != 1 && ch != 3) { snprintf(err, errlen, "unsupported PNG layout (%d channels)", ch); png_longjmp(png, 1); }
    buffer = (uint8_t *)malloc(rowbytes * h);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * h);
    if (!buffer || !rows) { snprintf(err, errlen, "out of memory"); png_longjmp(png, 1); }
    for (png_uint_32 y = 0; y < h; y++) rows[y] = buffer + y * rowbytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    *pixels = buffer; *width = (int)w; *height = (int)h; *channels = ch;
    return 0;
}

typedef struct { uint8_t *data; size_t size, capacity; } byte_sink;

static void write_bytes(png_structp png, png_bytep in, png_size_t n) {
    byte_sink *sink = (byte_sink *)png_get_io_ptr(png);
    if (n > sink->capacity - sink->size) {
        size_t want = sink->capacity ? sink->capacity : 4096;
        while (want - sink->size < n) {
            if (want > ((size_t)-1) / 2) png_error(png, "PNG too large");
            want *= 2;
        }
        uint8_t *grown = (uint8_t *)realloc(sink->data, want);
        if (!grown) png_error(png, "out of memory");
        sink->data = grown;
        sink->capacity = want;
    }
    memcpy(sink->data + sink->size, in, n);
    sink->size += n;
}
static void flush_bytes(png_structp png) { (void)png; }

int cimage_png_encode(const uint8_t *pixels, int width, int height, int channels,
                      const uint8_t *palette_rgb, int palette_size,
                      uint8_t **out, size_t *out_size, char *err, size_t errlen) {
    *out = NULL;
    *out_size = 0;
    if (channels != 1 && channels != 3) { snprintf(err, errlen, "PNG writer takes 1 or 3 channels"); return -1; }
    // On the heap: the callbacks change it between setjmp and a longjmp.
    byte_sink *volatile sink = (byte_sink *)calloc(1, sizeof(byte_sink));
    if (!sink) { snprintf(err, errlen, "out of memory"); return -1; }
    err_sink errors = { err, errlen };
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &errors, on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info); free(sink); snprintf(err, errlen, "out of memory"); return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info); free(sink->data); free(sink); return -1;
    }
    png_set_write_fn(png, sink, write_bytes, flush_bytes);
    int color = channels == 3 ? PNG_COLOR_TYPE_RGB : (palette_rgb ? PNG_COLOR_TYPE_PALETTE : PNG_COLOR_TYPE_GRAY);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, color,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (color == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[256];
        int n = palette_size > 256 ? 256 : palette_size;
        for (int i = 0; i < n; i++) { pal[i].red = palette_rgb[3*i]; pal[i].green = palette_rgb[3*i+1]; pal[i].blue = palette_rgb[3*i+2]; }
        png_set_PLTE(png, info, pal, n);
    }
    png_write_info(png, info);
    for (int y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(pixels + (size_t)y * width * channels));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    *out = sink->data;
    *out_size = sink->size;
    free(sink);
    return 0;
}

void cimage_free(void *p) { free(p); }
