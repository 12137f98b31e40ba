//! Files attached to content items: an imported document's original, a customer's proposal on
//! a case review, pictures a note links to.
//!
//! Three trees: the list per item (`attachments`, JSON), the bytes by their SHA-256
//! (`attachment_blobs`, so the same file attached twice is kept once) and the text extracted
//! from them (`attachment_texts`, by SHA-256), which the search index adds to the item's
//! words. Adding files writes all three and an outbox entry for the item in one transaction,
//! then flushes: an attachment is acknowledged only once durable, and the index picks up its
//! text like any other change. Backups copy every tree, these included.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::kv::IVec;
use super::{decode, now_rfc3339, Store, StoreError, TransactionError, TxError};

/// Tree `attachments`: key = item id, value = JSON `Vec<Attachment>`.
pub const ATTACHMENTS_TREE: &str = "attachments";
/// Tree `attachment_blobs`: key = SHA-256 (hex) of the bytes, value = the bytes.
pub const ATTACHMENT_BLOBS_TREE: &str = "attachment_blobs";
/// Tree `attachment_texts`: key = SHA-256 (hex) of the bytes, value = the text extracted (UTF-8).
pub const ATTACHMENT_TEXTS_TREE: &str = "attachment_texts";

/// One file attached to an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attachment {
    /// The file name, unique within the item.
    pub name: String,
    pub size: u64,
    pub content_type: String,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    pub added_by: String,
    /// RFC 3339.
    pub added_at: String,
    /// Whether text taken from the file is searched with the item (false when the item's body
    /// already is that text, or the file has none).
    #[serde(default)]
    pub searchable: bool,
}

/// A file to attach: its name, type, bytes and the text found in it (may be empty).
pub struct NewAttachment {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    /// Searched with the item; empty for none.
    pub text: String,
}

/// SHA-256 of bytes, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Store {
    /// The files attached to an item, in the order they were added.
    pub fn attachments(&self, id: &str) -> Result<Vec<Attachment>, StoreError> {
        match self.attachments.get(id.as_bytes())? {
            Some(bytes) => decode(ATTACHMENTS_TREE, id.as_bytes(), &bytes),
            None => Ok(Vec::new()),
        }
    }

    /// Whether files are recorded under `id` (an id with files is not given to a new item).
    pub fn has_attachments(&self, id: &str) -> Result<bool, StoreError> {
        self.attachments.contains_key(id.as_bytes())
    }

    /// The bytes of an attachment.
    pub fn attachment_bytes(&self, sha256: &str) -> Result<Option<IVec>, StoreError> {
        self.attachment_blobs.get(sha256.as_bytes())
    }

    /// The searchable text of an item's attachments, joined.
    pub fn attachment_text(&self, id: &str) -> Result<String, StoreError> {
        let mut text = String::new();
        for attachment in self.attachments(id)? {
            if !attachment.searchable {
                continue;
            }
            if let Some(bytes) = self.attachment_texts.get(attachment.sha256.as_bytes())? {
                text.push_str("\n\n");
                text.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
        Ok(text)
    }

    /// Attaches files to an item (a file of the same name is replaced), durably, in one
    /// transaction with an outbox entry so that the search index adds their text. Returns the
    /// item's attachments after.
    pub fn add_attachments(
        &self,
        id: &str,
        files: Vec<NewAttachment>,
        by: &str,
    ) -> Result<Vec<Attachment>, StoreError> {
        let at = now_rfc3339();
        let mut added = Vec::with_capacity(files.len());
        let mut blobs = Vec::with_capacity(files.len());
        for file in files {
            let sha256 = sha256_hex(&file.bytes);
            added.retain(|a: &Attachment| a.name != file.name);
            added.push(Attachment {
                name: file.name,
                size: file.bytes.len() as u64,
                content_type: file.content_type,
                sha256: sha256.clone(),
                added_by: by.to_owned(),
                added_at: at.clone(),
                searchable: !file.text.trim().is_empty(),
            });
            blobs.push((sha256, file.bytes, file.text));
        }
        let corrupt = |source: serde_json::Error| StoreError::Corrupt {
            tree: ATTACHMENTS_TREE,
            key: id.to_owned(),
            source,
        };
        let _gate = self.write_gate();
        // The list is read and written inside the transaction: two uploads to one item at once
        // never lose a file (a transaction that conflicts is run again).
        let list = std::cell::RefCell::new(Vec::new());
        let result = self.kv.transaction(
            &[
                &self.attachments,
                &self.attachment_blobs,
                &self.attachment_texts,
                &self.outbox,
            ],
            |tx| {
                let seq = tx.generate_id()? + 1;
                for (sha256, bytes, text) in &blobs {
                    tx.insert(&self.attachment_blobs, sha256, bytes)?;
                    if !text.trim().is_empty() {
                        tx.insert(&self.attachment_texts, sha256, text)?;
                    }
                }
                let mut current: Vec<Attachment> = match tx.get(&self.attachments, id)? {
                    Some(bytes) => {
                        serde_json::from_slice(&bytes).map_err(|e| TxError::Abort(corrupt(e)))?
                    }
                    None => Vec::new(),
                };
                current.retain(|a| !added.iter().any(|n| n.name == a.name));
                current.extend(added.iter().cloned());
                let bytes = serde_json::to_vec(&current).map_err(|e| TxError::Abort(corrupt(e)))?;
                tx.insert(&self.attachments, id, bytes)?;
                tx.insert(&self.outbox, seq.to_be_bytes(), id)?;
                *list.borrow_mut() = current;
                Ok(())
            },
        );
        match result {
            Ok(()) => {}
            Err(TransactionError::Storage(e)) => return Err(e),
            Err(TransactionError::Abort(e)) => return Err(e),
        }
        self.flush()?;
        Ok(list.into_inner())
    }
}
