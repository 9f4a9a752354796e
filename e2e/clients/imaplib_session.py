"""Drive Mailwerk with Python's standard imaplib (a client nobody here wrote).

Usage: imaplib_session.py HOST STARTTLS_PORT IMAPS_PORT CAFILE USER PASSWORD
Prints one JSON object with what the server answered; the Node test asserts on it.
"""
import imaplib
import json
import socket
import ssl
import sys

host, starttls_port, imaps_port, cafile, user, password = sys.argv[1:7]
context = ssl.create_default_context(cafile=cafile)
result = {}

# Implicit TLS.
with imaplib.IMAP4_SSL(host, int(imaps_port), ssl_context=context) as imap:
    typ, _ = imap.login(user, password)
    result["imaps_login"] = typ
    typ, data = imap.list()
    result["list"] = [line.decode() for line in data]
    imap.logout()

# STARTTLS on the plain port; LOGIN must be refused before TLS.
imap = imaplib.IMAP4(host, int(starttls_port))
result["pre_tls_capabilities"] = list(imap.capabilities)
try:
    imap.login(user, password)
    result["plaintext_login"] = "accepted"
except imaplib.IMAP4.error as e:
    result["plaintext_login"] = "refused: " + str(e)
imap.starttls(ssl_context=context)
typ, _ = imap.login(user, password)
result["starttls_login"] = typ

message = (
    b"From: Carol <carol@example.org>\r\n"
    b"To: jane@example.test\r\n"
    b"Subject: Python was here\r\n"
    b"Message-ID: <py-1@example.org>\r\n"
    b"Date: Wed, 04 Nov 2026 08:00:00 +0000\r\n"
    b"\r\n"
    b"A message about zebrafish and other creatures.\r\n"
)
typ, data = imap.append("INBOX", "(\\Draft)", imaplib.Time2Internaldate(1700000000), message)
result["append"] = [typ, data[0].decode()]
typ, data = imap.select("INBOX")
result["select"] = [typ, data[0].decode()]
typ, data = imap.search(None, "TEXT", "zebrafish")
result["search_text"] = data[0].decode()
typ, data = imap.search(None, "FROM", "carol", "SUBJECT", "python")
result["search_from_subject"] = data[0].decode()
seq = result["search_text"].split()[-1]
typ, data = imap.fetch(seq, "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)] RFC822.SIZE)")
result["fetch"] = [part.decode(errors="replace") if isinstance(part, bytes) else [p.decode(errors="replace") for p in part] for part in data]
typ, data = imap.fetch(seq, "(BODY[])")
result["fetch_body"] = data[0][1].decode()
typ, data = imap.store(seq, "+FLAGS", "(\\Seen \\Deleted)")
result["store"] = [typ, data[0].decode()]
typ, data = imap.copy(seq, "Archive")
result["copy"] = typ
typ, data = imap.expunge()
result["expunge"] = [typ, [d.decode() for d in data if d]]
typ, data = imap.status("Archive", "(MESSAGES UIDNEXT UNSEEN)")
result["status_archive"] = data[0].decode()
typ, data = imap.uid("SORT", "(REVERSE ARRIVAL)", "UTF-8", "ALL")
result["sort"] = [typ, data[0].decode() if data[0] else ""]
typ, data = imap.uid("THREAD", "REFERENCES", "UTF-8", "ALL")
result["thread"] = typ

# A malformed command gets BAD and the connection lives on.
tag = imap._new_tag().decode()
imap.send(f"{tag} FETCH\r\n".encode())
line = imap.readline().decode()
result["malformed"] = line.strip()
typ, _ = imap.noop()
result["after_malformed"] = typ
imap.logout()
print(json.dumps(result))
