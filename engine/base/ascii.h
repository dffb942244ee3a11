/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ascii.h: locale-free ASCII character tests shared by the parsers and matchers (the C
 * library's ctype functions depend on the locale and take int).
 */
#ifndef VIGIL_BASE_ASCII_H
#define VIGIL_BASE_ASCII_H

#include <stdbool.h>

static inline bool vg_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static inline bool vg_is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Value of a hexadecimal digit, or -1. */
static inline int vg_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* ASCII lower case; every other byte unchanged. */
static inline unsigned char vg_ascii_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

#endif
