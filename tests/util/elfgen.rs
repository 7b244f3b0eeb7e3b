//! Synthetic kernel modules for depmod tests: a minimal ELF64 little-endian relocatable
//! object (`ET_REL`, x86-64) with a `.modinfo` section, exported symbols as `__crc_<sym>`
//! absolute symbols (how modversions kernels record exports, which both kmod and rkmod
//! read) and needed symbols as undefined globals. Small (a few hundred bytes), built in
//! memory, so a test can make any dependency graph without a compiler or kernel headers.

/// What one generated module holds.
#[derive(Debug, Clone, Default)]
pub struct ModSpec {
    /// `.modinfo` strings, e.g. `alias=pci:v*`.
    pub modinfo: Vec<String>,
    /// Exported symbols with their CRCs.
    pub exports: Vec<(String, u32)>,
    /// Symbols the module needs (undefined).
    pub needs: Vec<String>,
}

impl ModSpec {
    /// A module exporting `exports` (CRC 1 each) and needing `needs`.
    pub fn new(exports: &[&str], needs: &[&str]) -> ModSpec {
        ModSpec {
            modinfo: vec!["license=GPL".into()],
            exports: exports.iter().map(|s| (s.to_string(), 1)).collect(),
            needs: needs.iter().map(|s| s.to_string()).collect(),
        }
    }

    pub fn alias(mut self, a: &str) -> ModSpec {
        self.modinfo.push(format!("alias={a}"));
        self
    }

    /// The module file's bytes.
    pub fn build(&self) -> Vec<u8> {
        let mut modinfo = Vec::new();
        for s in &self.modinfo {
            modinfo.extend_from_slice(s.as_bytes());
            modinfo.push(0);
        }
        // .strtab and .symtab: a null symbol, then the exports, then the needs.
        let mut strtab = vec![0u8];
        let mut symtab = vec![0u8; 24];
        let mut sym = |name: &str, shndx: u16, value: u64, strtab: &mut Vec<u8>| {
            let off = strtab.len() as u32;
            strtab.extend_from_slice(name.as_bytes());
            strtab.push(0);
            let mut e = Vec::with_capacity(24);
            e.extend_from_slice(&off.to_le_bytes());
            e.push(0x10); // STB_GLOBAL, STT_NOTYPE
            e.push(0);
            e.extend_from_slice(&shndx.to_le_bytes());
            e.extend_from_slice(&value.to_le_bytes());
            e.extend_from_slice(&0u64.to_le_bytes());
            symtab.extend_from_slice(&e);
        };
        for (name, crc) in &self.exports {
            sym(&format!("__crc_{name}"), 0xFFF1, u64::from(*crc), &mut strtab);
            // SHN_ABS
        }
        for name in &self.needs {
            sym(name, 0, 0, &mut strtab);
        }
        let shstrtab = b"\0.modinfo\0.symtab\0.strtab\0.shstrtab\0".to_vec();
        let name_at = |n: &str| {
            let pat = format!("\0{n}\0");
            shstrtab.windows(pat.len()).position(|w| w == pat.as_bytes()).unwrap() as u32 + 1
        };
        let mut out = vec![0u8; 64];
        let place = |data: &[u8], out: &mut Vec<u8>| {
            while out.len() % 8 != 0 {
                out.push(0);
            }
            let at = out.len() as u64;
            out.extend_from_slice(data);
            (at, data.len() as u64)
        };
        let sections = [
            (name_at(".modinfo"), 1u32, place(&modinfo, &mut out), 0u32, 0u32, 0u64, 2u64),
            (name_at(".symtab"), 2, place(&symtab, &mut out), 3, 1, 24, 0),
            (name_at(".strtab"), 3, place(&strtab, &mut out), 0, 0, 0, 0),
            (name_at(".shstrtab"), 3, place(&shstrtab, &mut out), 0, 0, 0, 0),
        ];
        while out.len() % 8 != 0 {
            out.push(0);
        }
        let shoff = out.len() as u64;
        out.extend_from_slice(&[0u8; 64]);
        for (name, kind, (off, size), link, info, entsize, flags) in sections {
            out.extend_from_slice(&name.to_le_bytes());
            out.extend_from_slice(&kind.to_le_bytes());
            out.extend_from_slice(&flags.to_le_bytes());
            out.extend_from_slice(&0u64.to_le_bytes()); // addr
            out.extend_from_slice(&off.to_le_bytes());
            out.extend_from_slice(&size.to_le_bytes());
            out.extend_from_slice(&link.to_le_bytes());
            out.extend_from_slice(&info.to_le_bytes());
            out.extend_from_slice(&1u64.to_le_bytes()); // align
            out.extend_from_slice(&entsize.to_le_bytes());
        }
        let mut h = Vec::with_capacity(64);
        h.extend_from_slice(b"\x7FELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
        h.extend_from_slice(&1u16.to_le_bytes()); // ET_REL
        h.extend_from_slice(&62u16.to_le_bytes()); // EM_X86_64
        h.extend_from_slice(&1u32.to_le_bytes());
        h.extend_from_slice(&0u64.to_le_bytes()); // entry
        h.extend_from_slice(&0u64.to_le_bytes()); // phoff
        h.extend_from_slice(&shoff.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes()); // flags
        h.extend_from_slice(&64u16.to_le_bytes()); // ehsize
        h.extend_from_slice(&0u16.to_le_bytes()); // phentsize
        h.extend_from_slice(&0u16.to_le_bytes()); // phnum
        h.extend_from_slice(&64u16.to_le_bytes()); // shentsize
        h.extend_from_slice(&5u16.to_le_bytes()); // shnum
        h.extend_from_slice(&4u16.to_le_bytes()); // shstrndx
        out[..64].copy_from_slice(&h);
        out
    }
}

/// A small deterministic PRNG (xorshift64*) for seeded generators.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}
