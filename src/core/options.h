/*
 * The table of every configuration option: name, type, where it may appear,
 * default and one line of help.  The config parser validates against it, the
 * accessors fall back along it (account -> global -> default), `petrel options`
 * prints it and the test suite checks doc/petrel.conf.5 against it, so the
 * three cannot drift apart.
 */
#ifndef PETREL_CORE_OPTIONS_H
#define PETREL_CORE_OPTIONS_H

#include <stdbool.h>

enum option_type {
	OPT_STRING,
	OPT_URL,      /* imap[s]://, pop3[s]://, smtp[s]:// */
	OPT_ENUM,     /* one of option.choices, separated by '|' */
	OPT_BOOL,     /* yes/no, on/off, true/false, 1/0 */
	OPT_LIST,     /* comma-separated */
	OPT_PATH,     /* ~ expanded */
	OPT_COMMAND,  /* run without a shell: words, quotes allowed */
	OPT_DURATION, /* 30, 30s, 5m, 2h, 30d */
	OPT_SIZE,     /* 512, 64K, 2M, 1G */
	OPT_SECRET,   /* never printed; refused in files others can read */
	OPT_FINGERPRINT, /* sha256 hex, colons optional */
};

enum option_scope {
	OPT_GLOBAL,   /* top of the file only */
	OPT_ACCOUNT,  /* [account NAME] sections only */
	OPT_BOTH,     /* global value is the default for every account */
};

/* X(id, name, type, scope, default, choices, help) */
#define PETREL_OPTIONS(X) \
	X(TYPE, "type", OPT_ENUM, OPT_ACCOUNT, "auto", "auto|imap|pop3|local", \
	  "Kind of account; auto means imap or pop3 from the URL given, else local.") \
	X(EMAIL, "email", OPT_STRING, OPT_ACCOUNT, NULL, NULL, \
	  "The account's address, used in From: and to recognise your own mail.") \
	X(NAME, "name", OPT_STRING, OPT_BOTH, NULL, NULL, \
	  "Your name, used in From:.") \
	X(ALTERNATES, "alternates", OPT_LIST, OPT_BOTH, NULL, NULL, \
	  "Your other addresses; reply-all leaves them out, as it does email.") \
	X(SIGNATURE, "signature", OPT_PATH, OPT_BOTH, NULL, NULL, \
	  "File whose text ends new messages, replies and forwards, after a \"-- \" line.") \
	X(IMAP, "imap", OPT_URL, OPT_ACCOUNT, NULL, NULL, \
	  "IMAP server: imaps://host[:993] (TLS) or imap://host[:143] (STARTTLS).") \
	X(POP3, "pop3", OPT_URL, OPT_ACCOUNT, NULL, NULL, \
	  "POP3 server: pop3s://host[:995] (TLS) or pop3://host[:110] (STLS).") \
	X(SMTP, "smtp", OPT_URL, OPT_ACCOUNT, NULL, NULL, \
	  "SMTP submission server: smtps://host[:465] (TLS) or smtp://host[:587] (STARTTLS).") \
	X(USER, "user", OPT_STRING, OPT_ACCOUNT, NULL, NULL, \
	  "Login name on the servers; defaults to email.") \
	X(PASSWORD_COMMAND, "password-command", OPT_COMMAND, OPT_ACCOUNT, NULL, NULL, \
	  "Command whose first line of output is the password (preferred to password).") \
	X(PASSWORD, "password", OPT_SECRET, OPT_ACCOUNT, NULL, NULL, \
	  "The password itself; refused unless the file is readable by you alone.") \
	X(AUTH, "auth", OPT_ENUM, OPT_BOTH, "auto", "auto|plain|login|xoauth2|oauthbearer|apop", \
	  "Authentication mechanism; xoauth2 and oauthbearer need token-command; apop is POP3's.") \
	X(TOKEN_COMMAND, "token-command", OPT_COMMAND, OPT_ACCOUNT, NULL, NULL, \
	  "Command whose first line of output is an OAuth2 access token.") \
	X(TLS, "tls", OPT_ENUM, OPT_BOTH, "on", "on|off", \
	  "off allows plain, unencrypted connections; only for servers on this machine.") \
	X(TLS_CA_FILE, "tls-ca-file", OPT_PATH, OPT_BOTH, NULL, NULL, \
	  "PEM file of trusted certificate authorities, instead of the system store.") \
	X(TLS_FINGERPRINT, "tls-fingerprint", OPT_FINGERPRINT, OPT_ACCOUNT, NULL, NULL, \
	  "SHA-256 fingerprint the server certificate must have (pin), in hex.") \
	X(SEND, "send", OPT_ENUM, OPT_BOTH, "smtp", "smtp|imap-outbox", \
	  "How mail is sent: SMTP submission, or APPEND to the IMAP outbox folder.") \
	X(OUTBOX_FOLDER, "outbox-folder", OPT_STRING, OPT_ACCOUNT, NULL, NULL, \
	  "IMAP folder the server sends from, for send = imap-outbox.") \
	X(SENT_FOLDER, "sent-folder", OPT_STRING, OPT_BOTH, "Sent", NULL, \
	  "Folder that keeps a copy of sent mail.") \
	X(SENT_COPY, "sent-copy", OPT_ENUM, OPT_BOTH, "auto", "auto|yes|no", \
	  "Keep a copy of sent mail in sent-folder; auto skips it when the server filed one.") \
	X(DRAFTS_FOLDER, "drafts-folder", OPT_STRING, OPT_BOTH, "Drafts", NULL, \
	  "Folder where petrel compose --postpone files unfinished messages.") \
	X(IDLE_FOLDERS, "idle-folders", OPT_LIST, OPT_BOTH, "INBOX", NULL, \
	  "Folders watched for new mail by IMAP IDLE (one connection each).") \
	X(DATA_DIR, "data-dir", OPT_PATH, OPT_BOTH, NULL, NULL, \
	  "Where mail and the index are kept; default $XDG_DATA_HOME/petrel.") \
	X(PREFETCH, "prefetch", OPT_DURATION, OPT_BOTH, "30d", NULL, \
	  "Bodies of messages younger than this are fetched ahead, for reading offline; 0: none.") \
	X(PREFETCH_MAX_SIZE, "prefetch-max-size", OPT_SIZE, OPT_BOTH, "2M", NULL, \
	  "Messages larger than this are not fetched ahead, only when opened.") \
	X(POP3_MODE, "pop3-mode", OPT_ENUM, OPT_BOTH, "keep", "keep|delete", \
	  "POP3: keep mail on the server (tracked by UIDL), or delete it once stored here.") \
	X(POP3_DELETE_AFTER, "pop3-delete-after", OPT_DURATION, OPT_BOTH, "0", NULL, \
	  "POP3 keep mode: delete from the server this long after first download; 0: never.") \
	X(POP3_DELETE_WITH_LOCAL, "pop3-delete-with-local", OPT_BOOL, OPT_BOTH, "no", NULL, \
	  "POP3 keep mode: delete from the server what was deleted here.") \
	X(POP3_HEADERS_FIRST, "pop3-headers-first", OPT_BOOL, OPT_BOTH, "no", NULL, \
	  "POP3: fetch the headers of new mail first (newest first), bodies after or when opened.") \
	X(POP3_MAX_SIZE, "pop3-max-size", OPT_SIZE, OPT_BOTH, "0", NULL, \
	  "POP3: larger messages are kept as headers only until opened; 0: no limit.") \
	X(POLL_INTERVAL, "poll-interval", OPT_DURATION, OPT_BOTH, "5m", NULL, \
	  "How often petrel watch checks a POP3 account, or an IMAP server without IDLE.") \
	X(WATCH, "watch", OPT_BOOL, OPT_BOTH, "yes", NULL, \
	  "The terminal UI keeps the account connected (IDLE, else polling) and shows new mail.") \
	X(DELETE, "delete", OPT_ENUM, OPT_BOTH, "trash", "trash|expunge", \
	  "What deleting a message does: move it to trash-folder, or remove it for good.") \
	X(TRASH_FOLDER, "trash-folder", OPT_STRING, OPT_BOTH, "Trash", NULL, \
	  "The folder deleted messages are moved to.") \
	X(TIMEOUT, "timeout", OPT_DURATION, OPT_BOTH, "60s", NULL, \
	  "Network timeout: a server silent this long is given up on.") \
	X(COMPRESS, "compress", OPT_ENUM, OPT_BOTH, "auto", "auto|off", \
	  "IMAP COMPRESS=DEFLATE: auto uses it when the server offers it; off never.") \
	X(THEME, "theme", OPT_STRING, OPT_GLOBAL, "default", NULL, \
	  "Colours of the terminal UI: default, solarized-dark, mono, or a .theme file.") \
	X(KEYMAP, "keymap", OPT_STRING, OPT_GLOBAL, "default", NULL, \
	  "Keys of the terminal UI: default (mutt and vi habits), emacs, or a .keys file.") \
	X(HTML_COMMAND, "html-command", OPT_COMMAND, OPT_GLOBAL, NULL, NULL, \
	  "Program that turns HTML on its standard input into text, e.g. w3m -dump -T text/html.") \
	X(MOUSE, "mouse", OPT_BOOL, OPT_GLOBAL, "no", NULL, \
	  "Terminal UI: click selects a folder or message (twice opens it), the wheel scrolls.") \
	X(URL_COMMAND, "url-command", OPT_COMMAND, OPT_GLOBAL, NULL, NULL, \
	  "Program the terminal UI opens a link with, on request only (the URL is its last argument).") \
	X(LOG_FILE, "log-file", OPT_PATH, OPT_GLOBAL, NULL, NULL, \
	  "Append a debug log here (never contains passwords or tokens).")

enum option_id {
#define X(id, ...) OPTION_##id,
	PETREL_OPTIONS(X)
#undef X
	OPTION__COUNT
};

struct option_def {
	enum option_id id;
	const char *name;
	enum option_type type;
	enum option_scope scope;
	const char *def;      /* NULL: unset unless given */
	const char *choices;  /* OPT_ENUM only */
	const char *help;
};

/* The table, indexed by enum option_id; static storage. */
extern const struct option_def option_table[OPTION__COUNT];

/* Returns the option named name, or NULL. */
const struct option_def *option_find(const char *name);

/* Checks value against the option's type.  Returns true if valid; otherwise
 * false with *cause set to a malloc'd message the caller frees. */
bool option_validate(const struct option_def *def, const char *value, char **cause);

/* A type's name as the docs spell it ("duration", "url", ...). */
const char *option_type_name(enum option_type type);

/* Parsers shared by validation and the accessors. */
bool option_parse_bool(const char *s, bool *out);
bool option_parse_duration(const char *s, unsigned long *seconds);
bool option_parse_size(const char *s, unsigned long long *bytes);
/* Normalises a SHA-256 fingerprint to 64 lowercase hex digits in out[65]. */
bool option_parse_fingerprint(const char *s, char out[65]);

#endif
