/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libudev opened on first use (dl.h): only an NVMe bdev (an SSD found by its PCI address) or `show`
 * of a namespace on a block device looks a device up, and linking libudev cost every nvmetcfg
 * start-up a third of its instructions (its relocations). Code that looks devices up includes this
 * instead of <libudev.h> and calls libudev by its own names, which go through the table udev_dl()
 * filled: call udev_dl() (ctx_udev does) before any of them. nvmetd's monitor links libudev itself;
 * dlopen then finds the same library. */
#ifndef NVMET_UDEVDL_H
#define NVMET_UDEVDL_H

#include <libudev.h>

#define UDEV_DL_FNS(X) \
	X(udev_new) X(udev_unref) X(udev_device_new_from_subsystem_sysname) X(udev_device_new_from_syspath) \
	X(udev_device_new_from_devnum) X(udev_device_unref) X(udev_device_get_devnode) \
	X(udev_device_get_devtype) X(udev_device_get_driver) X(udev_device_get_subsystem) \
	X(udev_device_get_sysattr_value) X(udev_device_get_sysname) X(udev_device_get_syspath) \
	X(udev_device_get_parent_with_subsystem_devtype) X(udev_enumerate_new) X(udev_enumerate_unref) \
	X(udev_enumerate_add_match_parent) X(udev_enumerate_add_match_property) \
	X(udev_enumerate_add_match_subsystem) X(udev_enumerate_scan_devices) \
	X(udev_enumerate_get_list_entry) X(udev_list_entry_get_name) X(udev_list_entry_get_next)

#define UDEV_DL_FIELD(fn) __typeof__(fn) *fn;
extern struct udev_dl_fn {
	UDEV_DL_FNS(UDEV_DL_FIELD)
} udev_dl_fn;
#undef UDEV_DL_FIELD

/* Open libudev once: 0, or -ENOPKG when it (or one of its functions) is missing. */
int udev_dl(void);

#ifndef UDEV_DL_IMPL
#define udev_new (udev_dl_fn.udev_new)
#define udev_unref (udev_dl_fn.udev_unref)
#define udev_device_new_from_subsystem_sysname (udev_dl_fn.udev_device_new_from_subsystem_sysname)
#define udev_device_new_from_syspath (udev_dl_fn.udev_device_new_from_syspath)
#define udev_device_new_from_devnum (udev_dl_fn.udev_device_new_from_devnum)
#define udev_device_unref (udev_dl_fn.udev_device_unref)
#define udev_device_get_devnode (udev_dl_fn.udev_device_get_devnode)
#define udev_device_get_devtype (udev_dl_fn.udev_device_get_devtype)
#define udev_device_get_driver (udev_dl_fn.udev_device_get_driver)
#define udev_device_get_subsystem (udev_dl_fn.udev_device_get_subsystem)
#define udev_device_get_sysattr_value (udev_dl_fn.udev_device_get_sysattr_value)
#define udev_device_get_sysname (udev_dl_fn.udev_device_get_sysname)
#define udev_device_get_syspath (udev_dl_fn.udev_device_get_syspath)
#define udev_device_get_parent_with_subsystem_devtype (udev_dl_fn.udev_device_get_parent_with_subsystem_devtype)
#define udev_enumerate_new (udev_dl_fn.udev_enumerate_new)
#define udev_enumerate_unref (udev_dl_fn.udev_enumerate_unref)
#define udev_enumerate_add_match_parent (udev_dl_fn.udev_enumerate_add_match_parent)
#define udev_enumerate_add_match_property (udev_dl_fn.udev_enumerate_add_match_property)
#define udev_enumerate_add_match_subsystem (udev_dl_fn.udev_enumerate_add_match_subsystem)
#define udev_enumerate_scan_devices (udev_dl_fn.udev_enumerate_scan_devices)
#define udev_enumerate_get_list_entry (udev_dl_fn.udev_enumerate_get_list_entry)
#define udev_list_entry_get_name (udev_dl_fn.udev_list_entry_get_name)
#define udev_list_entry_get_next (udev_dl_fn.udev_list_entry_get_next)
#endif

#endif
