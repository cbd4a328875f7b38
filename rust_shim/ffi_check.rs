//! Turns the `extern "C" { ... }` blocks of the crate's sources into a C
//! file that includes the public headers and asserts, for every
//! declaration, that the C function exists and has exactly the type the
//! Rust side assumes.
//!
//! Used by `build.rs` (every build compiles the generated file with
//! `-fsyntax-only`) and by `tests/ffi_decls.rs` (which feeds it wrong
//! declarations and expects the C compiler to refuse them).

/// One `fn` of an extern block: name, parameter types, return type.
#[derive(Debug, PartialEq)]
pub struct Decl {
    pub name: String,
    pub params: Vec<String>,
    pub ret: Option<String>,
}

/// The C spelling of a Rust FFI type, as an abstract declarator; `None`
/// for a type this check does not know (the build then fails, asking to
/// extend this table).
pub fn c_type(rust: &str) -> Option<String> {
    let t: String = rust.split_whitespace().collect::<Vec<_>>().join(" ");
    let t = t.replace("core::ffi::", "").replace("std::ffi::", "");
    if let Some(sig) = t.strip_prefix("extern \"C\" fn").or_else(|| t.strip_prefix("unsafe extern \"C\" fn")) {
        return fn_pointer(sig.trim());
    }
    Some(
        match t.as_str() {
            "usize" => "size_t",
            "isize" => "ptrdiff_t",
            "bool" => "_Bool",
            "u8" => "unsigned char",
            "u32" => "uint32_t",
            "u64" => "uint64_t",
            "i32" | "c_int" => "int",
            "i64" => "int64_t",
            "c_long" => "long",
            "*mut u8" | "*mut c_void" => "void *",
            "*const u8" | "*const c_void" => "const void *",
            "*const c_char" => "const char *",
            // Types of the crate that stand for C types of oxalloc.h.
            "*mut OxHeap" => "ox_heap_t *",
            "*mut Stats" => "ox_stats_t *",
            _ => return None,
        }
        .to_string(),
    )
}

/// `(A, B) -> R` of a Rust `extern "C" fn` type, as the C `R (*)(A', B')`.
fn fn_pointer(sig: &str) -> Option<String> {
    let close = matching_paren(sig)?;
    let params = split_top_level(&sig[1..close])
        .iter()
        .map(|p| c_type(p))
        .collect::<Option<Vec<_>>>()?;
    let ret = match sig[close + 1..].trim().strip_prefix("->") {
        Some(r) => c_type(r)?,
        None => "void".to_string(),
    };
    let params = if params.is_empty() { "void".to_string() } else { params.join(", ") };
    Some(format!("{ret} (*)({params})"))
}

/// Index of the ')' closing the '(' that `s` starts with.
fn matching_paren(s: &str) -> Option<usize> {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// `s` split at the commas outside parentheses, trimmed, empty parts dropped.
fn split_top_level(s: &str) -> Vec<String> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(s[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(s[start..].trim().to_string());
    parts.retain(|p| !p.is_empty());
    parts
}

/// The declarations inside every `extern "C" { ... }` block of `src`.
pub fn parse(src: &str) -> Result<Vec<Decl>, String> {
    let no_comments: String = src
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut decls = Vec::new();
    let mut rest = no_comments.as_str();
    while let Some(start) = rest.find("extern \"C\" {") {
        let body = &rest[start + "extern \"C\" {".len()..];
        let end = body.find('}').ok_or("unterminated extern block")?;
        for item in body[..end].split(';').map(str::trim).filter(|i| !i.is_empty()) {
            decls.push(parse_fn(item)?);
        }
        rest = &body[end..];
    }
    Ok(decls)
}

fn parse_fn(item: &str) -> Result<Decl, String> {
    let sig = item
        .strip_prefix("pub fn ")
        .or_else(|| item.strip_prefix("fn "))
        .ok_or_else(|| format!("not a plain fn declaration: {item}"))?;
    let open = sig.find('(').ok_or_else(|| format!("no '(' in {item}"))?;
    let close = open + matching_paren(&sig[open..]).ok_or_else(|| format!("no ')' in {item}"))?;
    let name = sig[..open].trim().to_string();
    let params = split_top_level(&sig[open + 1..close])
        .iter()
        .map(|p| {
            let (_, ty) = p.split_once(':').ok_or_else(|| format!("unnamed parameter in {item}"))?;
            Ok(ty.trim().to_string())
        })
        .collect::<Result<Vec<_>, String>>()?;
    let rest = sig[close + 1..].trim();
    let ret = match rest.strip_prefix("->") {
        Some(t) => Some(t.trim().to_string()),
        None if rest.is_empty() => None,
        None => return Err(format!("unexpected '{rest}' in {item}")),
    };
    Ok(Decl { name, params, ret })
}

fn c_of(rust: &str, decl: &Decl) -> Result<String, String> {
    c_type(rust).ok_or_else(|| {
        format!(
            "ffi_check.rs: no C type for Rust type `{rust}` (in `{}`); extend c_type()",
            decl.name
        )
    })
}

/// C source asserting each declaration against the headers.  Compiling it
/// fails when a function is missing from the headers or its C type differs.
pub fn c_source(decls: &[Decl]) -> Result<String, String> {
    let mut out = String::from(
        "/* generated by rust_shim/ffi_check.rs from the extern blocks of rust_shim/src */\n\
         #include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n\
         #include \"rust_alloc.h\"\n#include \"oxalloc.h\"\n\n",
    );
    for d in decls {
        let ret = match &d.ret {
            Some(r) => c_of(r, d)?,
            None => "void".to_string(),
        };
        let params = if d.params.is_empty() {
            "void".to_string()
        } else {
            d.params
                .iter()
                .map(|p| c_of(p, d))
                .collect::<Result<Vec<_>, _>>()?
                .join(", ")
        };
        out += &format!(
            "_Static_assert(__builtin_types_compatible_p(__typeof__({name}), {ret}({params})),\n    \
             \"the Rust declaration of {name} is {ret} {name}({params}), which is not its type in the C headers\");\n",
            name = d.name
        );
    }
    Ok(out)
}
