// The section cargo-auditable adds, with audit data made by make-json.js (compressed with zlib).
#[used]
#[link_section = ".dep-v0"]
static AUDITABLE_VERSION_INFO: [u8; include_bytes!("dep-v0.zlib").len()] = *include_bytes!("dep-v0.zlib");

fn main() {
    println!("hello from an auditable-like binary");
}
