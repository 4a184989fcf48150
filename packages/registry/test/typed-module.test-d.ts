// Type tests: a pulled NF (the committed module generated from
// examples/nfs/firewall.ts) derives with the same checks as the NF written
// locally. Each `@ts-expect-error` sits directly above the one wrong line.
import { describe, expectTypeOf, it } from 'vitest';
import { bit, type FieldPath, type Fields, type ProgramBuilder, type WritablePath } from '@mpvisor/mpapi';
import { firewall as local } from '../../../examples/nfs/firewall.js';
import { firewall, type FirewallSchema, type FirewallStages } from '../../../examples/registry/firewall.js';

type Local = typeof local extends ProgramBuilder<infer S, infer St> ? { schema: S; stages: St } : never;

describe('a generated module', () => {
  it('types the builder with the published schema and stages', () => {
    expectTypeOf(firewall).toEqualTypeOf<ProgramBuilder<FirewallSchema, FirewallStages>>();
  });

  it('knows exactly the fields, writable fields, stages and keys the local NF has', () => {
    expectTypeOf<Fields<FirewallSchema>>().toEqualTypeOf<Fields<Local['schema']>>();
    expectTypeOf<WritablePath<FirewallSchema>>().toEqualTypeOf<WritablePath<Local['schema']>>();
    expectTypeOf<keyof FirewallStages>().toEqualTypeOf<keyof Local['stages']>();
    expectTypeOf<FirewallStages['acl']['keys']>().toEqualTypeOf<Local['stages']['acl']['keys']>();
    expectTypeOf<keyof FirewallStages['acl']['actions']>().toEqualTypeOf<'allow' | 'deny'>();
    expectTypeOf<FieldPath<FirewallSchema>>().toEqualTypeOf<FieldPath<Local['schema']>>();
  });
});

describe('valid derives compile', () => {
  it('resize, default action and const entries', () => {
    const strict = firewall
      .derive('acme/fw-strict')
      .resize('acl', 8192)
      .defaultAction('acl', 'deny')
      .addEntries('acl', { key: { 'ipv4.srcAddr': '_', 'ipv4.dstAddr': '_', 'ipv4.protocol': 6, 'meta.l4SrcPort': '_', 'meta.l4DstPort': 22 }, action: 'allow' });
    expectTypeOf(strict).toEqualTypeOf<ProgramBuilder<FirewallSchema, FirewallStages>>();
  });

  it('adding, renaming and removing stages tracks the stage names', () => {
    const counted = firewall
      .derive('acme/fw-counted')
      .addStage('count', (t) => t.key({ 'ipv4.srcAddr': 'exact' }).action('mark', { port: bit(9) }, (a, p) => a.setEgress(p.port)), { before: 'acl' });
    expectTypeOf(counted.removeStage).parameter(0).toEqualTypeOf<'acl' | 'count'>();
    const renamed = counted.renameStage('acl', 'filter');
    expectTypeOf(renamed.resize).parameter(0).toEqualTypeOf<'count' | 'filter'>();
    expectTypeOf(renamed.removeStage('count').resize).parameter(0).toEqualTypeOf<'filter'>();
  });
});

describe('misuse does not compile', () => {
  it('names what the NF does not have', () => {
    // @ts-expect-error there is no stage "no-such-stage"
    firewall.derive('x').removeStage('no-such-stage');
    // @ts-expect-error 'ipv4.nope' is not a field of the firewall
    firewall.derive('x').addStage('s', (t) => t.key({ 'ipv4.nope': 'exact' }).action('a', (a) => a));
    // @ts-expect-error acl has no action "permit"
    firewall.derive('x').defaultAction('acl', 'permit');
    // @ts-expect-error an entry needs a value for every key of acl
    firewall.derive('x').addEntries('acl', { key: { 'ipv4.srcAddr': '_' }, action: 'allow' });
    // @ts-expect-error `placement` names a stage that does not exist
    firewall.derive('x').addStage('s', (t) => t.action('a', (a) => a), { after: 'nat' });
  });

  it('checks widths as for a local NF', () => {
    // @ts-expect-error a 48-bit field assigned to a 32-bit one
    firewall.derive('x').addStage('s', (t) => t.action('a', (a) => a.assign('ipv4.srcAddr', a.get('ethernet.dstAddr'))));
  });
});
