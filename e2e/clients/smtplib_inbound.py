"""Deliver to Mailwerk's inbound SMTP port with Python's standard smtplib (a client nobody here wrote).

Usage: smtplib_inbound.py HOST PORT CAFILE LOCAL_RCPT
Prints one JSON object with the server's answers; the Node test asserts on it.
"""
import json
import smtplib
import ssl
import sys

host, port, cafile, rcpt = sys.argv[1:5]
result = {}
message = (
    f"From: Sender <sender@remote.example>\r\nTo: {rcpt}\r\nSubject: Inbound over SMTP\r\n"
    "Message-ID: <smtp-1@remote.example>\r\n\r\nA message about kumquats.\r\n"
)
with smtplib.SMTP(host, int(port), local_hostname="mx.remote.example") as smtp:
    code, text = smtp.ehlo()
    result["ehlo"] = text.decode()
    smtp.starttls(context=ssl.create_default_context(cafile=cafile))
    smtp.ehlo()
    code, text = smtp.docmd("RCPT TO:<rcpt@example.test>")
    result["rcpt_before_mail"] = [code, text.decode()]
    smtp.mail("sender@remote.example")
    smtp.rcpt(rcpt)
    code, text = smtp.data(message.replace("kumquats", "quinces"))
    result["data_reply"] = [code, text.decode()]
    result["refused_local"] = smtp.sendmail("sender@remote.example", [rcpt, "nobody@example.test"], message)
    try:
        smtp.sendmail("sender@remote.example", ["victim@elsewhere.example"], message)
        result["relay"] = "accepted"
    except smtplib.SMTPRecipientsRefused as e:
        code, text = e.recipients["victim@elsewhere.example"]
        result["relay"] = [code, text.decode()]
    try:
        smtp.sendmail("sender@remote.example", ["nobody@example.test"], message)
    except smtplib.SMTPRecipientsRefused as e:
        code, text = e.recipients["nobody@example.test"]
        result["unknown"] = [code, text.decode()]
print(json.dumps({k: (v if not isinstance(v, dict) else {a: [b[0], b[1].decode()] for a, b in v.items()}) for k, v in result.items()}))
