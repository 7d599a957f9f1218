"""FL6xx: deployment findings of `flowc check-asterisk` in Asterisk config files, declared in the registry."""

from flowlang.diagnostics import Severity
from flowlang.registry import declare

E = Severity.ERROR

PLAINTEXT_PASSWORD = declare(
    "FL601", "deployment.plaintext_ari_password", E,
    "An ARI user's password is stored in plain text (password_format is not crypt).",
    "store a hash: `password_format = crypt` and `password = <output of mkpasswd -m sha-512>`",
    """Anyone who can read ari.conf (a backup, a support bundle, a config repository) gets a working
    ARI login, and with it full control of every call.

    Anti-pattern: `password = s3cret` with no `password_format`.  Best practice:
    `password_format = crypt` and a SHA-512 crypt hash made with `mkpasswd -m sha-512`.""")
ANY_ORIGIN = declare(
    "FL602", "deployment.ari_any_origin", E,
    "ARI accepts browser requests from any origin (`allowed_origins = *`), or sets none while "
    "listening off loopback.",
    "list the exact origins of the pages that use ARI, e.g. `allowed_origins = https://ivr-admin.example.com`",
    """With `*`, any web page a logged-in operator visits may drive ARI from the browser
    (cross-site WebSocket hijacking). With no list while HTTP listens on a public address, the
    intent is unclear: state it.

    Anti-pattern: `allowed_origins = *`.  Best practice: the exact `scheme://host:port` of each page.""")
PLAIN_HTTP_EXPOSED = declare(
    "FL603", "deployment.plain_http_exposed", E,
    "Asterisk's HTTP server (which serves ARI) listens on a non-loopback address over plain HTTP.",
    "set `bindaddr = 127.0.0.1`; to reach ARI from another host use `tlsenable = yes` with "
    "`tlsbindaddr` on that interface",
    """ARI sends the user's password on every request and carries caller numbers and DTMF (PINs)
    in its events: over plain HTTP on a network they can be read by anyone on the path. Asterisk
    serves plain HTTP on `bindaddr` even when `tlsenable = yes`, so `bindaddr` must stay on loopback.

    Anti-pattern: `bindaddr = 0.0.0.0` with no TLS.  Best practice: `bindaddr = 127.0.0.1`, and
    `tlsenable = yes` + `tlsbindaddr = <interface>:8089` when the runtime is on another host.""")
WEAK_PASSWORD = declare(
    "FL604", "deployment.weak_ari_password", E,
    "An ARI user has an empty, short, common or default password.",
    "use a long random password (e.g. `openssl rand -base64 24`) and store its crypt hash",
    """Default and dictionary passwords (`asterisk`, `secret`, `changeme`, the user name itself) are
    the first ones tried against an exposed ARI port.

    Anti-pattern: `password = asterisk`.  Best practice: 20+ random characters, stored as a hash.""")

__all__ = ["PLAINTEXT_PASSWORD", "ANY_ORIGIN", "PLAIN_HTTP_EXPOSED", "WEAK_PASSWORD"]
