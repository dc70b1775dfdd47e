-- Second factor (RFC 6238 TOTP) and two-step sessions.
-- totp_secret_enc: the confirmed secret, sealed like other personal data;
-- totp_pending_enc: a secret shown for enrolment, not yet confirmed;
-- totp_last_step: the last 30-second step whose code was accepted (a code is
-- never accepted twice).
ALTER TABLE users ADD COLUMN totp_secret_enc TEXT;
ALTER TABLE users ADD COLUMN totp_pending_enc TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
-- 'full': signed in; 'totp': password checked, code awaited; 'enrol': an
-- administrator without a second factor, who may only enrol one.
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'full';
