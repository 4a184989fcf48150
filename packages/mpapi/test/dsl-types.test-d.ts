// Type tests: misuse of the DSL must fail to compile. Each `@ts-expect-error`
// sits directly above the one line that is wrong, so if a check regresses
// (the line starts compiling) tsc reports an unused directive and this fails.
// Run by `vitest` in typecheck mode and by `tsc -p tsconfig.json`.
import { describe, expectTypeOf, it } from 'vitest';
import { bit, program, stack, std, type ActionBuilder, type BitExpr, type BoolExpr, type ProgramBuilder } from '@mpvisor/mpapi';

/** A program with one of everything the checks below can name. */
const base = program('types')
  .headers({ ethernet: std.ethernet, vlan: stack(std.vlan, 2), ipv4: std.ipv4, inner: std.ethernet })
  .metadata({ nextHop: bit(32), color: bit(2), port: bit(9) })
  .register('flows', { width: 32, size: 1024 })
  .counter('pkts', { size: 16 })
  .meter('rate', { size: 16 })
  .digest('learn', { mac: bit(48), port: bit(9) })
  .parser((p) => p.state('start', (s) => s.extract('ethernet').extract('ipv4').accept()));

type S = typeof base extends ProgramBuilder<infer X> ? X : never;
type A = ActionBuilder<S>;

/** A program with two stages, for control, entries and derive. */
const routed = base
  .stage('lpm', (t) =>
    t
      .key({ 'ipv4.dstAddr': 'lpm' })
      .action('fwd', { port: bit(9), mac: bit(48) }, (a, p) => a.setEgress(p.port).assign('ethernet.dstAddr', p.mac))
      .action('drop', (a) => a.drop())
      .defaultAction('drop'),
  )
  .stage('acl', (t) =>
    t
      .key({ 'ipv4.srcAddr': 'ternary', 'ipv4.protocol': 'exact' })
      .action('deny', (a) => a.drop())
      .action('allow', (a) => a)
      .defaultAction('allow'),
  );

describe('field paths', () => {
  it('rejects a typo in a key field path', () => {
    // @ts-expect-error 'ipv4.dstAdr' is not a field
    base.stage('s', (t) => t.key({ 'ipv4.dstAdr': 'exact' }).action('x', (a) => a));
    base.stage('s', (t) => t.key({ 'ipv4.dstAddr': 'exact' }).action('x', (a) => a));
  });

  it('rejects a typo in a.get', () => {
    // @ts-expect-error 'ipv4.tll' is not a field
    (a: A) => a.get('ipv4.tll');
    (a: A) => a.get('ipv4.ttl');
  });

  it('types a.get by the field width', () => {
    (a: A) => {
      expectTypeOf(a.get('ipv4.ttl')).toEqualTypeOf<BitExpr<8>>();
      expectTypeOf(a.get('ethernet.dstAddr')).toEqualTypeOf<BitExpr<48>>();
      expectTypeOf(a.get('vlan[1].vid')).toEqualTypeOf<BitExpr<12>>();
      expectTypeOf(a.get('meta.nextHop')).toEqualTypeOf<BitExpr<32>>();
      expectTypeOf(a.get('standard.ingressPort')).toEqualTypeOf<BitExpr<9>>();
      return a;
    };
  });

  it('rejects an out-of-bounds stack index', () => {
    // @ts-expect-error vlan is a stack of 2
    (a: A) => a.get('vlan[2].vid');
  });
});

describe('widths', () => {
  it('rejects assigning bit<48> to bit<32> without a cast', () => {
    // @ts-expect-error bit<48> into bit<32>
    (a: A) => a.assign('ipv4.srcAddr', a.get('ethernet.dstAddr'));
    (a: A) => a.assign('ipv4.srcAddr', a.get('ethernet.dstAddr').cast(32));
  });

  it('rejects assigning a bool to a bit field', () => {
    // @ts-expect-error bool into bit<8>
    (a: A) => a.assign('ipv4.ttl', a.get('ipv4.ttl').eq(1));
    (a: A) => a.assign('ipv4.ttl', a.get('ipv4.ttl').eq(1).toBit(8));
  });

  it('rejects comparing expressions of different widths', () => {
    // @ts-expect-error bit<8> == bit<16>
    (a: A) => a.get('ipv4.ttl').eq(a.get('ipv4.totalLen'));
    (a: A) => a.get('ipv4.ttl').cast(16).eq(a.get('ipv4.totalLen'));
  });

  it('rejects setEgress with a bit<16>', () => {
    // @ts-expect-error setEgress takes bit<9>
    (a: A) => a.setEgress(a.get('ipv4.totalLen'));
    (a: A) => a.setEgress(a.get('meta.port'));
  });

  it('rejects writing a read-only standard field', () => {
    // @ts-expect-error standard.ingressPort is read-only
    (a: A) => a.assign('standard.ingressPort', 1);
  });

  it('gives action parameters their declared widths', () => {
    base.stage('s', (t) =>
      t.action('p', { port: bit(9), addr: bit(32), mac: bit(48) }, (a, p) => {
        expectTypeOf(p.port).toEqualTypeOf<BitExpr<9>>();
        expectTypeOf(p.addr).toEqualTypeOf<BitExpr<32>>();
        expectTypeOf(p.mac).toEqualTypeOf<BitExpr<48>>();
        expectTypeOf(a.get('ipv4.ttl').eq(1)).toEqualTypeOf<BoolExpr>();
        return a.assign('meta.nextHop', p.addr);
      }),
    );
  });

  it('rejects assigning a parameter of the wrong width', () => {
    base.stage('s', (t) =>
      // @ts-expect-error bit<48> parameter into bit<32>
      t.action('p', { mac: bit(48) }, (a, p) => a.assign('meta.nextHop', p.mac)),
    );
  });
});

describe('stages', () => {
  it('requires the parameters of a default action', () => {
    base.stage('s', (t) =>
      t
        .action('fwd', { port: bit(9) }, (a, p) => a.setEgress(p.port))
        // @ts-expect-error fwd needs { port }
        .defaultAction('fwd'),
    );
    base.stage('s', (t) =>
      t
        .action('fwd', { port: bit(9) }, (a, p) => a.setEgress(p.port))
        // @ts-expect-error port is missing
        .defaultAction('fwd', {}),
    );
    base.stage('s', (t) => t.action('fwd', { port: bit(9) }, (a, p) => a.setEgress(p.port)).defaultAction('fwd', { port: 1 }));
  });

  it('rejects a misspelled action argument', () => {
    base.stage('s', (t) =>
      t
        .action('fwd', { port: bit(9) }, (a, p) => a.setEgress(p.port))
        // @ts-expect-error prot is not a parameter of fwd
        .defaultAction('fwd', { prot: 1 }),
    );
  });

  it('rejects a default action that is not declared', () => {
    base.stage('s', (t) =>
      t
        .action('fwd', { port: bit(9) }, (a, p) => a.setEgress(p.port))
        // @ts-expect-error no action named nope
        .defaultAction('nope'),
    );
  });

  it('checks entries against keys, actions and parameters', () => {
    base.stage('s', (t) => {
      const s = t
        .key({ 'ipv4.dstAddr': 'lpm' })
        .action('fwd', { port: bit(9) }, (a, p) => a.setEgress(p.port))
        .action('drop', (a) => a.drop());
      s.entries(
        { key: { 'ipv4.dstAddr': '10.0.0.0/8' }, action: 'fwd', args: { port: 1 } },
        { key: { 'ipv4.dstAddr': { value: '10.1.0.0', prefixLength: 16 } }, action: 'drop' },
      );
      // @ts-expect-error ipv4.srcAddr is not a key of this stage
      s.entries({ key: { 'ipv4.dstAddr': '10.0.0.0/8', 'ipv4.srcAddr': 1 }, action: 'drop' });
      // @ts-expect-error no action named nope
      s.entries({ key: { 'ipv4.dstAddr': '10.0.0.0/8' }, action: 'nope' });
      // @ts-expect-error fwd needs args
      s.entries({ key: { 'ipv4.dstAddr': '10.0.0.0/8' }, action: 'fwd' });
      // @ts-expect-error fwd has no parameter prot
      s.entries({ key: { 'ipv4.dstAddr': '10.0.0.0/8' }, action: 'fwd', args: { prot: 1 } });
      // @ts-expect-error a key value is missing
      s.entries({ key: {}, action: 'drop' });
      return s;
    });
  });

  it('rejects a match shape of the wrong kind', () => {
    base.stage('s', (t) =>
      t
        .key({ 'ipv4.dstAddr': 'exact' })
        .action('drop', (a) => a.drop())
        // @ts-expect-error an exact key takes no mask
        .entries({ key: { 'ipv4.dstAddr': { value: 1, mask: 1 } }, action: 'drop' }),
    );
  });
});

describe('headers', () => {
  it('rejects extracting an undeclared header', () => {
    // @ts-expect-error ipv6 is not declared
    base.parser((p) => p.state('start', (s) => s.extract('ipv6').accept()));
    base.parser((p) => p.state('start', (s) => s.extract('vlan').extract('vlan[1]').accept()));
  });

  it('rejects isValid on an undeclared header', () => {
    // @ts-expect-error ipv6 is not declared
    routed.control((c) => c.if(c.isValid('ipv6'), (c) => c.apply('lpm')).apply('acl'));
    routed.control((c) => c.if(c.isValid('ipv4'), (c) => c.apply('lpm')).apply('acl'));
  });

  it('rejects copyHeader between headers of different types', () => {
    // @ts-expect-error ethernet_t and ipv4_t
    (a: A) => a.copyHeader('ethernet', 'ipv4');
    (a: A) => a.copyHeader('inner', 'ethernet');
    (a: A) => a.copyHeader('vlan[0]', 'vlan[1]');
  });

  it('rejects pushFront on a header that is not a stack', () => {
    // @ts-expect-error ipv4 is not a stack
    (a: A) => a.pushFront('ipv4');
    (a: A) => a.pushFront('vlan');
  });

  it('rejects deparsing an undeclared header', () => {
    // @ts-expect-error ipv6 is not declared
    base.deparse('ethernet', 'ipv6');
    base.deparse('ethernet', 'vlan', 'ipv4');
  });
});

describe('digests and stateful objects', () => {
  it('rejects a digest with a wrong, missing or mistyped field', () => {
    (a: A) => a.digest('learn', { mac: a.get('ethernet.srcAddr'), port: a.get('standard.ingressPort') });
    // @ts-expect-error prot is not a field of learn
    (a: A) => a.digest('learn', { mac: a.get('ethernet.srcAddr'), prot: a.get('standard.ingressPort') });
    // @ts-expect-error port is missing
    (a: A) => a.digest('learn', { mac: a.get('ethernet.srcAddr') });
    // @ts-expect-error mac is bit<48>, not bit<32>
    (a: A) => a.digest('learn', { mac: a.get('ipv4.srcAddr'), port: a.get('standard.ingressPort') });
    // @ts-expect-error no digest named lern
    (a: A) => a.digest('lern', { mac: a.get('ethernet.srcAddr'), port: a.get('standard.ingressPort') });
  });

  it('rejects unknown register, counter and meter names', () => {
    (a: A) => a.registerWrite('flows', 0, a.get('ipv4.srcAddr')).count('pkts', 0).meterExecute('rate', 0, 'meta.color');
    // @ts-expect-error no register named flow
    (a: A) => a.registerWrite('flow', 0, 1);
    // @ts-expect-error no register named flow
    (a: A) => a.registerRead('meta.nextHop', 'flow', 0);
    // @ts-expect-error no counter named pkt
    (a: A) => a.count('pkt', 0);
    // @ts-expect-error no meter named rates
    (a: A) => a.meterExecute('rates', 0, 'meta.color');
  });

  it('rejects writing a register with a value of the wrong width', () => {
    // @ts-expect-error flows holds bit<32>
    (a: A) => a.registerWrite('flows', 0, a.get('ethernet.srcAddr'));
  });
});

describe('control', () => {
  it('rejects applying an undeclared stage', () => {
    // @ts-expect-error no stage named nope
    routed.control((c) => c.apply('lpm').apply('nope'));
    routed.control((c) => c.apply('lpm').apply('acl'));
  });

  it('rejects branching on an action the stage does not have', () => {
    // @ts-expect-error lpm has no action nope
    routed.control((c) => c.apply('lpm', { actions: { nope: (c) => c.apply('acl') } }));
    routed.control((c) => c.apply('lpm', { actions: { fwd: (c) => c.apply('acl') } }));
    routed.control((c) => c.apply('lpm', { hit: (c) => c.apply('acl') }));
  });
});

describe('derive', () => {
  it('rejects derive operations on unknown stages', () => {
    const d = routed.derive('types-derived');
    // @ts-expect-error no stage named nope
    d.resize('nope', 10);
    // @ts-expect-error no stage named nope
    d.removeStage('nope');
    // @ts-expect-error no stage named nope
    d.addEntries('nope', { key: {}, action: 'drop' });
    // @ts-expect-error no stage named nope
    d.defaultAction('nope', 'drop');
    d.resize('lpm', 10).removeStage('acl').addEntries('lpm', { key: { 'ipv4.dstAddr': '10.0.0.0/8' }, action: 'drop' });
  });

  it('checks derive arguments against the stage', () => {
    const d = routed.derive('types-derived');
    // @ts-expect-error lpm has no action deny
    d.defaultAction('lpm', 'deny');
    // @ts-expect-error fwd needs { port, mac }
    d.defaultAction('lpm', 'fwd', { port: 1 });
    // @ts-expect-error lpm's key is ipv4.dstAddr
    d.addEntries('lpm', { key: { 'ipv4.srcAddr': 1 }, action: 'drop' });
    d.defaultAction('lpm', 'fwd', { port: 1, mac: '00:00:00:00:00:01' });
  });

  it('forgets a removed stage', () => {
    const d = routed.derive('types-derived').removeStage('acl');
    expectTypeOf(d.resize).parameter(0).toEqualTypeOf<'lpm'>();
    // @ts-expect-error acl was removed
    d.resize('acl', 10);
    // @ts-expect-error acl was removed
    d.control((c) => c.apply('acl'));
    d.resize('lpm', 10);
  });

  it('knows an added or renamed stage', () => {
    const d = routed.derive('types-derived').renameStage('acl', 'filter');
    expectTypeOf(d.resize).parameter(0).toEqualTypeOf<'lpm' | 'filter'>();
    // @ts-expect-error acl was renamed
    d.resize('acl', 10);
  });
});
