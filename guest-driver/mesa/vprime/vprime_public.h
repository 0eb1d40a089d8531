/*
 * Copyright 2026 vprime authors
 * SPDX-License-Identifier: MIT
 */
#ifndef VPRIME_PUBLIC_H
#define VPRIME_PUBLIC_H

struct pipe_screen;
struct pipe_screen_config;

/* A render node of vprime_gpu (the vprime iGPU or dGPU). */
struct pipe_screen *
vprime_gpu_screen_create(int fd, const struct pipe_screen_config *config);

/*
 * The card node of vprime_display, a KMS-only device: rendering happens on
 * a vprime GPU (the iGPU first, or VPRIME_DISPLAY_GPU), scanout buffers are
 * that GPU's BOs imported into the display through PRIME, as Mesa's kmsro
 * does for SoC display engines.
 */
struct pipe_screen *
vprime_display_screen_create(int fd, const struct pipe_screen_config *config);

#endif /* VPRIME_PUBLIC_H */
