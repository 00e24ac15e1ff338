-- Uploaded files are checked against the documents handed out, by SHA-256.
CREATE INDEX annotation_documents_sha256 ON annotation_documents (sha256);
