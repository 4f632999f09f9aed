// OpenBLAS's CBLAS interface plus its thread control.
#include <cblas.h>
