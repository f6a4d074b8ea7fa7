#pragma once
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/channel_layout.h>
#include <libavutil/tx.h>
#include <libswscale/swscale.h>
#include <libswresample/swresample.h>

/* C macros that Swift cannot import, as functions and constants. */
static inline int diffuse_averror_eof(void) { return AVERROR_EOF; }
static inline int diffuse_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int diffuse_averror_einval(void) { return AVERROR(EINVAL); }
static inline int diffuse_averror_enomem(void) { return AVERROR(ENOMEM); }
static inline int64_t diffuse_av_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline AVRational diffuse_av_time_base_q(void) { return AV_TIME_BASE_Q; }
static inline int diffuse_av_error_max_string_size(void) { return AV_ERROR_MAX_STRING_SIZE; }

/* Added for MediaIO. */
#include <libavutil/crc.h>
#include <libavutil/cpu.h>
#include <stdint.h>
#include <stdbool.h>

/* Sequentially consistent 64-bit atomics on plain memory, lock-free and async-signal-safe:
   MediaIO's list of temporary files is read inside a SIGINT/SIGTERM handler (Swift's
   Synchronization.Atomic needs macOS 15, the package supports macOS 14). */
static inline uint64_t diffuse_atomic_load_u64(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static inline uint64_t diffuse_atomic_fetch_or_u64(uint64_t *p, uint64_t v) { return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); }
static inline uint64_t diffuse_atomic_fetch_and_u64(uint64_t *p, uint64_t v) { return __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); }
static inline bool diffuse_atomic_cas_u64(uint64_t *p, uint64_t expected, uint64_t desired) {
    return __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}
