/*
 * mode_abi.c: the `abi` and `abi-extra` modes: which libkmod symbols the loaded
 * library defines at which version node, by dlvsym(3).
 *   abi:       the 73 functions of Debian 12's libkmod.so.2 (kmod 30), each at the
 *              version node Debian's binaries were linked against (objdump -T
 *              /lib/x86_64-linux-gnu/libkmod.so.2). A drop-in must define all.
 *   abi-extra: the nodes that differ between kmod versions: LIBKMOD_30
 *              kmod_module_new_from_name_lookup (upstream's node; Debian's kmod 30
 *              exports it at LIBKMOD_5) and LIBKMOD_33's weakdep functions.
 *              Its output differs between libraries by design.
 */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "exerciser.h"

static const struct {
	const char *name, *node;
} debian12[] = {
	{ "kmod_config_get_aliases", "LIBKMOD_5" },
	{ "kmod_config_get_blacklists", "LIBKMOD_5" },
	{ "kmod_config_get_install_commands", "LIBKMOD_5" },
	{ "kmod_config_get_options", "LIBKMOD_5" },
	{ "kmod_config_get_remove_commands", "LIBKMOD_5" },
	{ "kmod_config_get_softdeps", "LIBKMOD_5" },
	{ "kmod_config_iter_free_iter", "LIBKMOD_5" },
	{ "kmod_config_iter_get_key", "LIBKMOD_5" },
	{ "kmod_config_iter_get_value", "LIBKMOD_5" },
	{ "kmod_config_iter_next", "LIBKMOD_5" },
	{ "kmod_dump_index", "LIBKMOD_5" },
	{ "kmod_get_dirname", "LIBKMOD_22" },
	{ "kmod_get_log_priority", "LIBKMOD_5" },
	{ "kmod_get_userdata", "LIBKMOD_5" },
	{ "kmod_list_last", "LIBKMOD_5" },
	{ "kmod_list_next", "LIBKMOD_5" },
	{ "kmod_list_prev", "LIBKMOD_5" },
	{ "kmod_load_resources", "LIBKMOD_5" },
	{ "kmod_module_apply_filter", "LIBKMOD_6" },
	{ "kmod_module_dependency_symbol_get_bind", "LIBKMOD_5" },
	{ "kmod_module_dependency_symbol_get_crc", "LIBKMOD_5" },
	{ "kmod_module_dependency_symbol_get_symbol", "LIBKMOD_5" },
	{ "kmod_module_dependency_symbols_free_list", "LIBKMOD_5" },
	{ "kmod_module_get_dependencies", "LIBKMOD_5" },
	{ "kmod_module_get_dependency_symbols", "LIBKMOD_5" },
	{ "kmod_module_get_filtered_blacklist", "LIBKMOD_5" },
	{ "kmod_module_get_holders", "LIBKMOD_5" },
	{ "kmod_module_get_info", "LIBKMOD_5" },
	{ "kmod_module_get_initstate", "LIBKMOD_5" },
	{ "kmod_module_get_install_commands", "LIBKMOD_5" },
	{ "kmod_module_get_module", "LIBKMOD_5" },
	{ "kmod_module_get_name", "LIBKMOD_5" },
	{ "kmod_module_get_options", "LIBKMOD_5" },
	{ "kmod_module_get_path", "LIBKMOD_5" },
	{ "kmod_module_get_refcnt", "LIBKMOD_5" },
	{ "kmod_module_get_remove_commands", "LIBKMOD_5" },
	{ "kmod_module_get_sections", "LIBKMOD_5" },
	{ "kmod_module_get_size", "LIBKMOD_5" },
	{ "kmod_module_get_softdeps", "LIBKMOD_5" },
	{ "kmod_module_get_symbols", "LIBKMOD_5" },
	{ "kmod_module_get_versions", "LIBKMOD_5" },
	{ "kmod_module_info_free_list", "LIBKMOD_5" },
	{ "kmod_module_info_get_key", "LIBKMOD_5" },
	{ "kmod_module_info_get_value", "LIBKMOD_5" },
	{ "kmod_module_initstate_str", "LIBKMOD_5" },
	{ "kmod_module_insert_module", "LIBKMOD_5" },
	{ "kmod_module_new_from_loaded", "LIBKMOD_5" },
	{ "kmod_module_new_from_lookup", "LIBKMOD_5" },
	{ "kmod_module_new_from_name", "LIBKMOD_5" },
	{ "kmod_module_new_from_name_lookup", "LIBKMOD_5" },
	{ "kmod_module_new_from_path", "LIBKMOD_5" },
	{ "kmod_module_probe_insert_module", "LIBKMOD_5" },
	{ "kmod_module_ref", "LIBKMOD_5" },
	{ "kmod_module_remove_module", "LIBKMOD_5" },
	{ "kmod_module_section_free_list", "LIBKMOD_5" },
	{ "kmod_module_section_get_address", "LIBKMOD_5" },
	{ "kmod_module_section_get_name", "LIBKMOD_5" },
	{ "kmod_module_symbol_get_crc", "LIBKMOD_5" },
	{ "kmod_module_symbol_get_symbol", "LIBKMOD_5" },
	{ "kmod_module_symbols_free_list", "LIBKMOD_5" },
	{ "kmod_module_unref", "LIBKMOD_5" },
	{ "kmod_module_unref_list", "LIBKMOD_5" },
	{ "kmod_module_version_get_crc", "LIBKMOD_5" },
	{ "kmod_module_version_get_symbol", "LIBKMOD_5" },
	{ "kmod_module_versions_free_list", "LIBKMOD_5" },
	{ "kmod_new", "LIBKMOD_5" },
	{ "kmod_ref", "LIBKMOD_5" },
	{ "kmod_set_log_fn", "LIBKMOD_5" },
	{ "kmod_set_log_priority", "LIBKMOD_5" },
	{ "kmod_set_userdata", "LIBKMOD_5" },
	{ "kmod_unload_resources", "LIBKMOD_5" },
	{ "kmod_unref", "LIBKMOD_5" },
	{ "kmod_validate_resources", "LIBKMOD_5" },
};

static const struct {
	const char *name, *node;
} extra[] = {
	{ "kmod_module_new_from_name_lookup", "LIBKMOD_30" },
	{ "kmod_config_get_weakdeps", "LIBKMOD_33" },
	{ "kmod_module_get_weakdeps", "LIBKMOD_33" },
};

int mode_abi(void)
{
	int missing = 0;

	out("### abi\n");
	for (size_t i = 0; i < sizeof(debian12) / sizeof(debian12[0]); i++) {
		void *p = dlvsym(RTLD_DEFAULT, debian12[i].name, debian12[i].node);

		out("%s@%s: %s\n", debian12[i].name, debian12[i].node, p ? "defined" : "MISSING");
		missing += p == NULL;
	}
	out("abi: %zu functions, %d missing\n", sizeof(debian12) / sizeof(debian12[0]), missing);
	return 0;
}

int mode_abi_extra(void)
{
	out("### abi-extra\n");
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		void *p = dlvsym(RTLD_DEFAULT, extra[i].name, extra[i].node);

		out("%s@%s: %s\n", extra[i].name, extra[i].node, p ? "defined" : "absent");
	}
	out("weakdep functions used by the other modes: %s\n",
	    x_module_get_weakdeps ? "yes" : "no");
	return 0;
}
