/** Usage texts, apart from the commands: `lamina --help` prints them without loading any command. */
export const DB_USAGE = `  lamina db import <path>...   load advisory files, told apart by content: OSV JSON, NVD API 2.0 responses,
                               Alpine secdb, Amazon Linux updateinfo.xml, Red Hat and SUSE CSAF VEX, Azure Linux
                               and Oracle OVAL, Fedora Bodhi updates JSON; a directory, a .zip, a tar, compressed
                               (gzip, bzip2, zstd) or not
  lamina db update [--source S]... [--ecosystem E]... [--base-url URL] [--timeout MS]
                               bring the advisory sources up to date (incremental; an interrupted run continues):
                               --source osv:<ecosystem>, alas:2023, alas:2, alas:1, redhat-csaf, suse-csaf,
                               oracle-oval, azure-oval:3.0, fedora-bodhi, fedora-bodhi:40, …; --ecosystem E is
                               --source osv:E;
                               default: LAMINA_ADVISORY_SOURCES, else every distribution's feed and OSV's language
                               ecosystems; without --source or
                               --ecosystem, or with --source sigstore:trusted-root, Sigstore's trusted root is
                               refreshed too, through TUF (LAMINA_SIGSTORE_TUF_URL, "off" for none), for keyless
                               signature verification;
                               --base-url: OSV's bucket (LAMINA_OSV_BASE_URL); --timeout: ms without a response
                               or a byte before an attempt fails (LAMINA_OSV_TIMEOUT_MS, default 60000)
  lamina db status             print the advisory data version and each ecosystem's records and last update;
                               warns on stderr about ecosystems not updated for a day`;
