/* SPDX-License-Identifier: MIT */
/* placeholder: module not written yet */
typedef int rsd_placeholder_daemon;
