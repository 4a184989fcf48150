/**
 * The format of a published NF: an OCI image manifest (image-spec v1.1)
 * whose config has MPVisor's media type and whose one layer is the NF's
 * canonical IR JSON — data, never code. Since the layer is the canonical
 * JSON, its digest is the IR's digest (`digestOf` in @mpvisor/mpapi): the
 * digest a derived NF records for its parent.
 */
import * as t from 'io-ts';

export const MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
/** The manifest's artifactType, and the config blob's media type. */
export const NF_ARTIFACT_TYPE = 'application/vnd.mpvisor.nf.v1+json';
export const NF_CONFIG_MEDIA_TYPE = 'application/vnd.mpvisor.nf.config.v1+json';
/** The one layer: the NF's canonical IR JSON. */
export const NF_IR_MEDIA_TYPE = 'application/vnd.mpvisor.nf.ir.v1+json';

/** Manifest annotations (OCI's pre-defined keys where one fits). */
export const ANNOTATION = {
  /** `scope/name`. */
  title: 'org.opencontainers.image.title',
  version: 'org.opencontainers.image.version',
  description: 'org.opencontainers.image.description',
  authors: 'org.opencontainers.image.authors',
  created: 'org.opencontainers.image.created',
  /** The NF's own name in its IR (a program or policy name). */
  nfName: 'dev.mpvisor.nf.name',
  /** `program` or `policy`. */
  nfKind: 'dev.mpvisor.nf.kind',
  /** A derived NF: its parent's IR digest. */
  parent: 'dev.mpvisor.nf.parent',
  irVersion: 'dev.mpvisor.ir.version',
  irDigest: 'dev.mpvisor.ir.digest',
} as const;

export const Descriptor = t.intersection([
  t.type({ mediaType: t.string, digest: t.string, size: t.number }),
  t.partial({ annotations: t.record(t.string, t.string), artifactType: t.string }),
]);
export type Descriptor = t.TypeOf<typeof Descriptor>;

export const Manifest = t.intersection([
  t.type({ schemaVersion: t.literal(2), mediaType: t.string, config: Descriptor, layers: t.array(Descriptor) }),
  t.partial({ artifactType: t.string, annotations: t.record(t.string, t.string), subject: Descriptor }),
]);
export type Manifest = t.TypeOf<typeof Manifest>;

/** The config blob: what the NF is, without reading its IR. */
export const NfConfig = t.type({
  irVersion: t.number,
  kind: t.union([t.literal('program'), t.literal('policy')]),
  name: t.string,
  irDigest: t.string,
  /** Parent first, then its parent: `{ name, digest }` of each ancestor (the IR's lineage). */
  lineage: t.array(t.type({ name: t.string, digest: t.string })),
});
export type NfConfig = t.TypeOf<typeof NfConfig>;
