//! kmod 30's words: where Debian 12's libkmod logs each message rkmod reproduces, and
//! the two shapes those lines take. The one place the applets (and the C library, which
//! must log what libkmod logs) take kmod's wording from.
//!
//! Debian builds libkmod with its debug prefix, so every libkmod message carries the
//! `file:line` of the logging call and the function name. Through libkmod's default
//! logger (active while `kmod_new` reads the configuration, and in tools that never hook
//! it, such as insmod and lsmod) a line reads `libkmod: ERROR FILE:LINE FUNC: msg`;
//! hooked by a tool (`log_setup_kmod_log`), `prog: ERROR: FILE:LINE FUNC() msg`.

/// Where kmod 30's libkmod logs from a function. `func` may carry a `/suffix` telling
/// apart two messages of one function (`kmod_module_insert_module/vermagic`); unknown
/// functions give the file alone.
pub fn origin(func: &str) -> &'static str {
    match func {
        "kmod_config_parse" => "../libkmod/libkmod-config.c:712",
        "kmod_config_parse/deprecated" => "../libkmod/libkmod-config.c:708",
        "conf_files_filter_out" => "../libkmod/libkmod-config.c:772",
        "kcmdline_parse_result" => "../libkmod/libkmod-config.c:489",
        "kmod_module_parse_depline" => "../libkmod/libkmod-module.c:191",
        "kmod_new" => "../libkmod/libkmod.c:289",
        "kmod_unref" => "../libkmod/libkmod.c:334",
        "kmod_set_log_fn" => "../libkmod/libkmod.c:367",
        "kmod_load_resources" => "../libkmod/libkmod.c:870",
        "kmod_module_new_from_path" => "../libkmod/libkmod-module.c:428",
        "kmod_module_new_from_lookup" => "../libkmod/libkmod-module.c:570",
        "kmod_module_new_from_loaded/name" => "../libkmod/libkmod-module.c:1738",
        "kmod_module_get_initstate" => "../libkmod/libkmod-module.c:1835",
        "kmod_module_get_initstate/unknown" => "../libkmod/libkmod-module.c:1847",
        "kmod_module_get_size" => "../libkmod/libkmod-module.c:1886",
        "kmod_module_get_size/open" => "../libkmod/libkmod-module.c:1896",
        "kmod_module_get_size/format" => "../libkmod/libkmod-module.c:1913",
        "kmod_module_get_size/value" => "../libkmod/libkmod-module.c:1920",
        "kmod_module_get_sections/entry" => "../libkmod/libkmod-module.c:2101",
        "kmod_module_get_refcnt" => "../libkmod/libkmod-module.c:1967",
        "kmod_module_get_sections" => "../libkmod/libkmod-module.c:2079",
        "kmod_module_get_sections/read" => "../libkmod/libkmod-module.c:2109",
        "index_mm_open" => "../libkmod/libkmod-index.c:790",
        "index_mm_open/version" => "../libkmod/libkmod-index.c:797",
        "kmod_module_remove_module" => "../libkmod/libkmod-module.c:856",
        "kmod_module_insert_module" => "../libkmod/libkmod-module.c:895",
        "kmod_module_insert_module/info" => "../libkmod/libkmod-module.c:949",
        "kmod_module_insert_module/modversion" => "../libkmod/libkmod-module.c:930",
        "kmod_module_insert_module/vermagic" => "../libkmod/libkmod-module.c:936",
        "command_do/run" => "../libkmod/libkmod-module.c:1041",
        "command_do" => "../libkmod/libkmod-module.c:1047",
        "lookup_softdep" => "../libkmod/libkmod-module.c:1567",
        "kmod_module_new_from_loaded" => "../libkmod/libkmod-module.c:1725",
        "kmod_module_get_holders" => "../libkmod/libkmod-module.c:1998",
        "kmod_lookup_alias_from_config" => "../libkmod/libkmod.c:671",
        f if f.starts_with("kmod_config") || f.starts_with("conf_") => "../libkmod/libkmod-config.c",
        f if f.starts_with("index_") => "../libkmod/libkmod-index.c",
        _ => "../libkmod/libkmod-module.c",
    }
}

/// The function name as libkmod prints it (`func` without its `/suffix`).
pub fn function(func: &str) -> &str {
    func.split('/').next().unwrap_or(func)
}

/// The prefix libkmod's default logger writes before `msg`:
/// `libkmod: LEVEL FILE:LINE FUNC: ` (`level` as kmod names it: `ERROR`, `INFO`, ...).
pub fn default_logger_prefix(level: &str, func: &str) -> String {
    format!("libkmod: {level} {} {}: ", origin(func), function(func))
}

/// What a tool that hooked libkmod's logging writes after `prog: LEVEL: `:
/// `FILE:LINE FUNC() `, then the message.
pub fn hooked_prefix(func: &str) -> String {
    format!("{} {}() ", origin(func), function(func))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(
            default_logger_prefix("ERROR", "kmod_config_parse"),
            "libkmod: ERROR ../libkmod/libkmod-config.c:712 kmod_config_parse: "
        );
        assert_eq!(
            default_logger_prefix("ERROR", "kmod_config_parse/deprecated"),
            "libkmod: ERROR ../libkmod/libkmod-config.c:708 kmod_config_parse: "
        );
        assert_eq!(
            hooked_prefix("kmod_module_remove_module"),
            "../libkmod/libkmod-module.c:856 kmod_module_remove_module() "
        );
    }
}
