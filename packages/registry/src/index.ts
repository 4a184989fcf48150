/**
 * @mpvisor/registry — publish, pull and derive NFs as OCI artifacts: in a
 * local OCI image-layout directory (the embedded default, no server) or in
 * any OCI distribution registry over HTTP(S). A published NF is data (its
 * canonical IR), never code; every blob is verified against its digest.
 */
export { parseReference, parseRepository, formatReference, repositoryOf, tagOf, checkVersion, isVersionTag, type NfReference } from './reference.js';
export { sha256, verifyDigest } from './digest.js';
export { ANNOTATION, MANIFEST_MEDIA_TYPE, NF_ARTIFACT_TYPE, NF_CONFIG_MEDIA_TYPE, NF_IR_MEDIA_TYPE, Descriptor, Manifest, NfConfig } from './artifact.js';
export type { NfStore, StoredManifest } from './store.js';
