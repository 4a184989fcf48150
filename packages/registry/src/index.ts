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
export { LayoutStore, OCI_LAYOUT_VERSION, INDEX_MEDIA_TYPE, REF_NAME_ANNOTATION, type LayoutStoreOptions } from './layout-store.js';
export {
  Registry,
  type NfIR,
  type Publishable,
  type PublishOptions,
  type PublishedNf,
  type PulledNf,
  type InspectedNf,
  type LineageEntry,
  type RepositoryEntry,
  type SearchHit,
  type Annotations,
} from './registry.js';
export { installFromRegistry, type RegistryInstall } from './install.js';
export { RemoteStore, type RemoteStoreOptions } from './remote-store.js';
export { defaultCredentialsFile, registryKey, loadCredentials, credentialsFromEnv, saveCredentials, removeCredentials, type Credentials } from './credentials.js';
export { openStore, login, DEFAULT_STORE_DIR, type OpenStoreOptions, type LoginOptions } from './open-store.js';
export { auditModule, assertAudited, type AuditReport, type AuditFinding, type AuditOptions } from './audit.js';
export { typedModuleSource, writeTypedModule, type TypedModuleOptions } from './typed-module.js';
export { writeFileAtomic } from './atomic-file.js';
