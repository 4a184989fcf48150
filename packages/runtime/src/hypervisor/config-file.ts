/**
 * Data plane configuration files: one generic image and the virtual data
 * planes on it — for each its ports, multicast groups and clone sessions,
 * quotas, the classifier rules that claim its packets, the NF module it
 * runs (a module, or `scope/name@version` in a registry), and optionally
 * an entries file and a capture to run through it.
 * YAML or JSON, decoded with closed io-ts codecs (a misspelt key is an
 * error, not ignored); every problem names the file and the JSON path.
 * Paths inside the file are relative to the file. The format is
 * documented in docs/cli.md ("the data plane configuration file").
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { either } from 'fp-ts';
import * as t from 'io-ts';
import { parse as parseYaml } from 'yaml';
import { issuesOf, MpvisorError, type Issue } from '@mpvisor/mpapi';
import { MAX_PORT } from '../control/write.js';
import type { ClassifierRule } from './classifier.js';
import type { ImageConfig } from './image.js';
import type { Quotas } from './isolation.js';

// ---------------------------------------------------------------- codecs

/** A whole number in [lo, hi], with a message that says so. */
function intIn(lo: number, hi: number, what: string): t.Type<number, number, unknown> {
  return new t.Type<number, number, unknown>(
    what,
    (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= lo && u <= hi,
    (u, c) =>
      typeof u === 'number' && Number.isInteger(u) && u >= lo && u <= hi
        ? t.success(u)
        : t.failure(u, c, `expected ${what}, a whole number ${lo}..${hi}, got ${JSON.stringify(u) ?? 'undefined'}`),
    t.identity,
  );
}

const NonEmpty = new t.Type<string, string, unknown>(
  'a non-empty string',
  (u): u is string => typeof u === 'string' && u !== '',
  (u, c) => (typeof u === 'string' && u !== '' ? t.success(u) : t.failure(u, c, `expected a non-empty string, got ${JSON.stringify(u) ?? 'undefined'}`)),
  t.identity,
);

/**
 * An object with these required and optional properties and no others:
 * an unknown property fails with its own JSON path.
 */
function closed<R extends t.Props, O extends t.Props>(name: string, required: R, optional: O): t.Type<t.TypeOf<t.TypeC<R>> & Partial<t.TypeOf<t.PartialC<O>>>, unknown, unknown> {
  const base = t.intersection([t.type(required, name), t.partial(optional, name)], name);
  const keys = [...Object.keys(required), ...Object.keys(optional)];
  type A = t.TypeOf<t.TypeC<R>> & Partial<t.TypeOf<t.PartialC<O>>>;
  return new t.Type<A, unknown, unknown>(
    name,
    (u): u is A => base.is(u),
    (u, c) => {
      if (typeof u !== 'object' || u === null || Array.isArray(u)) return t.failure(u, c, `expected ${name} (an object), got ${JSON.stringify(u) ?? 'undefined'}`);
      const unknown = Object.keys(u).filter((k) => !keys.includes(k));
      if (unknown.length > 0) {
        return t.failures(
          unknown.map((k) => ({
            value: (u as Record<string, unknown>)[k],
            context: [...c, { key: k, type: t.never, actual: (u as Record<string, unknown>)[k] }],
            message: `unknown property "${k}" in ${name} (expected ${keys.join(', ')})`,
          })),
        );
      }
      // validate as the intersection itself, so its members add no step to the JSON path
      const last = c[c.length - 1];
      const r = base.validate(u, last ? [...c.slice(0, -1), { ...last, type: base }] : c);
      return either.isLeft(r) ? r : t.success(r.right as A);
    },
    t.identity,
  );
}

const Port = intIn(0, MAX_PORT, 'a port');
const Ports = t.array(Port, 'a list of ports');
const Positive = intIn(1, 1 << 30, 'a positive number');
const Count = intIn(0, 2 ** 40, 'a count');

const ImageCodec = closed('image', {}, { slots: Positive, primitivesPerSlot: Positive, headerBits: Positive, userBits: Positive, paramBits: Positive, maxHeaders: Positive });
const QuotasCodec = closed('quotas', {}, { stages: Count, tableEntries: Count, registerCells: Count, counterCells: Count, meterCells: Count });
const RuleCodec = closed(
  'classifier rule',
  {},
  { port: Port, vlan: intIn(0, 4095, 'a VLAN id'), vxlan: intIn(0, 0xffffff, 'a VXLAN VNI'), descriptionHeader: t.literal(true), ports: Ports },
);
const NfCodec = closed('nf', {}, { module: NonEmpty, export: NonEmpty, registry: NonEmpty });
const VpdpCodec = closed(
  'vPDP',
  { id: intIn(0, 0xffff, 'a vPDP id'), name: NonEmpty, ports: Ports, classify: t.array(RuleCodec, 'a list of classifier rules'), nf: NfCodec },
  {
    multicastGroups: t.array(intIn(1, 0xffff, 'a multicast group id'), 'a list of multicast group ids'),
    cloneSessions: t.array(intIn(1, 0xffffffff, 'a clone session id'), 'a list of clone session ids'),
    quotas: QuotasCodec,
    entries: NonEmpty,
    pcap: NonEmpty,
    inPort: Port,
  },
);
const ConfigCodec = closed('data plane configuration', { vpdps: t.array(VpdpCodec, 'a list of vPDPs') }, { image: ImageCodec, registry: NonEmpty });

// ---------------------------------------------------------------- what a file decodes to

/** One virtual data plane of a configuration file, checked, with its paths resolved. */
export interface VpdpConfig {
  /** Where it is in the file: `$.vpdps[1]`. */
  readonly path: string;
  readonly id: number;
  readonly name: string;
  readonly ports: readonly number[];
  readonly multicastGroups: readonly number[];
  readonly cloneSessions: readonly number[];
  readonly quotas: Partial<Quotas>;
  /** Its classifier rules, each restricted to the vPDP's own ports. */
  readonly classify: readonly ClassifierRule[];
  /**
   * The NF: a module (relative to the working directory if the file's path
   * was) and which export to run, or a published NF (`scope/name@version`)
   * in the configuration's registry.
   */
  readonly nf: { readonly module: string; readonly export?: string } | { readonly registry: string };
  readonly entries?: string;
  readonly pcap?: string;
  /** Ingress port of the capture's packets (pcapng: plus the interface index); default the first port. */
  readonly inPort: number;
}

export interface HypervisorConfig {
  /** The file, as named. */
  readonly source: string;
  readonly image: Partial<ImageConfig>;
  /** Where `nf: { registry }` NFs are pulled from: a directory (resolved against the file) or a URL; absent, the default store. */
  readonly registry?: string;
  readonly vpdps: readonly VpdpConfig[];
}

const problem = (source: string, path: string, message: string): Issue => ({ message: `${source}: ${message}`, path });

/**
 * Parse a data plane configuration (YAML for `.yaml`/`.yml`, JSON
 * otherwise) and check what one file can say about itself: unknown or
 * mistyped properties, a classifier rule that is not exactly one kind, a
 * rule or ingress port outside the vPDP's ports, duplicate ids, names or
 * ports. Whether vPDPs share ports, groups or sessions is
 * {@link sharedResources}; whether the files exist, {@link missingFiles}.
 */
export function parseHypervisorConfig(text: string, source: string): HypervisorConfig {
  const yaml = /\.ya?ml$/i.test(source);
  let raw: unknown;
  try {
    raw = yaml ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new MpvisorError('INVALID_ARGUMENT', `${source}: not valid ${yaml ? 'YAML' : 'JSON'}: ${(e as Error).message}`);
  }
  const decoded = ConfigCodec.decode(raw ?? {});
  if (either.isLeft(decoded)) throw new MpvisorError('INVALID_ARGUMENT', issuesOf(decoded.left).map((i) => ({ ...i, message: `${source}: ${i.message}` })));
  const file = decoded.right;
  const issues: Issue[] = [];
  const at = (path: string, message: string): void => void issues.push(problem(source, path, message));
  const base = dirname(source);
  const local = (p: string): string => (isAbsolute(p) ? p : join(base, p));
  const ids = new Map<number, string>();
  const names = new Map<string, string>();
  const vpdps = file.vpdps.map((v, i): VpdpConfig => {
    const path = `$.vpdps[${i}]`;
    const seenId = ids.get(v.id);
    if (seenId !== undefined) at(`${path}.id`, `vPDP id ${v.id} is already used at ${seenId}`);
    ids.set(v.id, path);
    const seenName = names.get(v.name);
    if (seenName !== undefined) at(`${path}.name`, `vPDP name "${v.name}" is already used at ${seenName}`);
    names.set(v.name, path);
    const dup = (list: readonly number[] | undefined, what: string, key: string): void =>
      list?.forEach((x, j) => {
        if (list.indexOf(x) !== j) at(`${path}.${key}[${j}]`, `vPDP "${v.name}": ${what} ${x} is listed twice`);
      });
    if (v.ports.length === 0) at(`${path}.ports`, `vPDP "${v.name}" has no ports`);
    dup(v.ports, 'port', 'ports');
    dup(v.multicastGroups, 'multicast group', 'multicastGroups');
    dup(v.cloneSessions, 'clone session', 'cloneSessions');
    const own = (p: number): boolean => v.ports.includes(p);
    if (v.classify.length === 0) at(`${path}.classify`, `vPDP "${v.name}" has no classifier rule, so no packet would reach it`);
    const rules = v.classify.flatMap((r, j): ClassifierRule[] => {
      const rpath = `${path}.classify[${j}]`;
      const kinds = (['port', 'vlan', 'vxlan', 'descriptionHeader'] as const).filter((k) => r[k] !== undefined);
      if (kinds.length !== 1) {
        at(rpath, `a classifier rule has exactly one of port, vlan, vxlan, descriptionHeader; this one has ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`);
        return [];
      }
      r.ports?.forEach((p, k) => {
        if (!own(p)) at(`${rpath}.ports[${k}]`, `vPDP "${v.name}": port ${p} is not one of its ports (${v.ports.join(', ')})`);
      });
      const ports = r.ports ?? v.ports;
      if (r.port !== undefined) {
        if (r.ports !== undefined) at(`${rpath}.ports`, `a port rule takes no "ports": it names its port`);
        if (!own(r.port)) at(`${rpath}.port`, `vPDP "${v.name}": port ${r.port} is not one of its ports (${v.ports.join(', ')})`);
        return [{ kind: 'port', port: r.port, vpdp: v.id }];
      }
      if (r.vlan !== undefined) return [{ kind: 'vlan', vid: r.vlan, vpdp: v.id, ports: [...ports] }];
      if (r.vxlan !== undefined) return [{ kind: 'vxlan', vni: r.vxlan, vpdp: v.id, ports: [...ports] }];
      return [{ kind: 'descriptionHeader', ports: [...ports] }];
    });
    const nfKinds = (['module', 'registry'] as const).filter((k) => v.nf[k] !== undefined);
    if (nfKinds.length !== 1) at(`${path}.nf`, `vPDP "${v.name}": an nf has exactly one of module, registry; this one has ${nfKinds.length === 0 ? 'none' : 'both'}`);
    if (v.nf.registry !== undefined && v.nf.export !== undefined) at(`${path}.nf.export`, `vPDP "${v.name}": a published NF is one NF; "export" goes with "module"`);
    const inPort = v.inPort ?? v.ports[0] ?? 0;
    if (v.inPort !== undefined && !own(v.inPort)) at(`${path}.inPort`, `vPDP "${v.name}": port ${v.inPort} is not one of its ports (${v.ports.join(', ')})`);
    return {
      path,
      id: v.id,
      name: v.name,
      ports: v.ports,
      multicastGroups: v.multicastGroups ?? [],
      cloneSessions: v.cloneSessions ?? [],
      quotas: v.quotas ?? {},
      classify: rules,
      nf: v.nf.registry !== undefined ? { registry: v.nf.registry } : { module: local(v.nf.module ?? ''), ...(v.nf.export !== undefined ? { export: v.nf.export } : {}) },
      ...(v.entries !== undefined ? { entries: local(v.entries) } : {}),
      ...(v.pcap !== undefined ? { pcap: local(v.pcap) } : {}),
      inPort,
    };
  });
  if (file.vpdps.length === 0) at('$.vpdps', 'no vPDPs');
  if (issues.length > 0) throw new MpvisorError('INVALID_ARGUMENT', issues);
  const registry = file.registry === undefined ? undefined : /^[a-z][a-z0-9+.-]*:\/\//i.test(file.registry) ? file.registry : local(file.registry);
  return { source, image: file.image ?? {}, ...(registry !== undefined ? { registry } : {}), vpdps };
}

/**
 * Ports, multicast groups and clone sessions two vPDPs of the file both
 * claim: on one data plane each belongs to one vPDP. (A file that
 * describes programs to be measured one by one may share them.)
 */
export function sharedResources(config: HypervisorConfig): Issue[] {
  const issues: Issue[] = [];
  const owners = { ports: new Map<number, VpdpConfig>(), multicastGroups: new Map<number, VpdpConfig>(), cloneSessions: new Map<number, VpdpConfig>() };
  const what = { ports: 'port', multicastGroups: 'multicast group', cloneSessions: 'clone session' } as const;
  for (const v of config.vpdps) {
    for (const key of ['ports', 'multicastGroups', 'cloneSessions'] as const) {
      v[key].forEach((x, j) => {
        const owner = owners[key].get(x);
        if (owner && owner !== v) issues.push(problem(config.source, `${v.path}.${key}[${j}]`, `vPDP "${v.name}": ${what[key]} ${x} belongs to vPDP "${owner.name}" (${owner.path})`));
        else owners[key].set(x, v);
      });
    }
  }
  return issues;
}

/** Files the configuration names that are not there (or are not files). */
export function missingFiles(config: HypervisorConfig): Issue[] {
  const issues: Issue[] = [];
  for (const v of config.vpdps) {
    const check = (file: string | undefined, key: string, what: string): void => {
      if (file === undefined) return;
      let ok = false;
      try {
        ok = existsSync(file) && statSync(file).isFile();
      } catch {
        ok = false;
      }
      if (!ok) issues.push(problem(config.source, `${v.path}.${key}`, `vPDP "${v.name}": ${what} ${file} does not exist`));
    };
    if ('module' in v.nf) check(v.nf.module, 'nf.module', 'NF module');
    check(v.entries, 'entries', 'entries file');
    check(v.pcap, 'pcap', 'capture');
  }
  return issues;
}

/** The classifier of the whole file: every vPDP's rules, in the file's order. Rules of different vPDPs never compete: each is restricted to its vPDP's ports. */
export function classifierRules(config: HypervisorConfig): ClassifierRule[] {
  return config.vpdps.flatMap((v) => v.classify);
}
