#pragma once
#include <cblas.h>
/* OpenBLAS thread control, declared in openblas_config.h / cblas.h of OpenBLAS. */
