#pragma once
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/channel_layout.h>
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
