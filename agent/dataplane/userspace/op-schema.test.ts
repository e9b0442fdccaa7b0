// The operations a dataplane accepts: the fast path for real server operations accepts exactly
// what the schema accepts of them (a property test over operations near and far from valid), and
// every refusal keeps the schema's message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkOp, dataplaneOpSchema } from './op-schema.ts';

const almostAddress = fc.oneof(
  fc.tuple(fc.nat(300), fc.nat(300), fc.nat(300), fc.nat(300)).map((p) => p.join('.')),
  fc.constantFrom('10.0.0.1', '010.0.0.1', '10.0.0', '10.0.0.1.2', 'web1.example.com', '', ' 10.0.0.1', '10.0.0.1\n', '1e1.0.0.1'),
);
const almostNumber = fc.oneof(fc.integer({ min: -2, max: 70000 }), fc.constantFrom(1.5, NaN, Infinity, '80' as unknown as number, null as unknown as number));
const key = fc.oneof(
  almostAddress.map((a) => `tcp|${a}|80`),
  fc.constantFrom('udp|10.0.0.1|53', 'fwm|7', 'tcp|10.0.0.1|', 'sctp|10.0.0.1|80', 'tcp|10.0.0.1|80 ', 'tcp|10.0.0.1|80\n-C'),
);
const real = fc.record(
  { address: almostAddress, port: almostNumber, weight: almostNumber, method: fc.constantFrom('m', 'g', 'i', 'x', 'M') },
  { requiredKeys: ['address', 'port', 'weight'] },
);
const withExtra = <T extends object>(arb: fc.Arbitrary<T>) => fc.tuple(arb, fc.boolean()).map(([o, extra]) => (extra ? { ...o, extra: 1 } : o));
const realOp = fc.oneof(
  withExtra(fc.record({ op: fc.constantFrom('addReal', 'editReal'), key, real })),
  withExtra(fc.record({ op: fc.constant('deleteReal'), key, address: almostAddress, port: almostNumber })),
);

test('real server operations: accepted by checkOp exactly when the schema accepts them', () => {
  fc.assert(
    fc.property(realOp, (op) => {
      const fast = checkOp(op);
      const schema = dataplaneOpSchema.safeParse(op);
      assert.equal(fast.ok, schema.success, JSON.stringify(op));
      if (fast.ok && schema.success) assert.deepEqual(JSON.stringify(fast.op), JSON.stringify(schema.data), 'the same operation as the schema reads it');
    }),
    { numRuns: 5000 },
  );
});

/** Mostly a valid value, sometimes one near it. */
const mostly = <T,>(valid: fc.Arbitrary<T>, near: fc.Arbitrary<T>) => fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: near, weight: 1 });
const service = fc.record(
  {
    key: mostly(fc.constantFrom('tcp|10.0.0.1|80', 'udp|10.0.0.1|80', 'fwm|7', 'fwm|0'), key),
    name: mostly(fc.string(), fc.constant(7 as unknown as string)),
    protocol: mostly(fc.constantFrom('tcp', 'udp'), fc.constantFrom('sctp', 'TCP')),
    address: mostly(fc.constant('10.0.0.1'), almostAddress),
    port: mostly(fc.constantFrom(80, 0, 65535), almostNumber),
    fwmark: mostly(fc.constantFrom(0, 7, 0xffffffff), fc.oneof(fc.constantFrom(-1, 0x100000000, 1.5), almostNumber)),
    scheduler: mostly(fc.constantFrom('rr', 'wlc', 'sh'), fc.constantFrom('WLC', 'sed', '')),
    persistent: mostly(fc.constantFrom(0, 300, 0x7fffffff), fc.oneof(fc.constantFrom(-1, 0x80000000), almostNumber)),
    pmask: mostly(fc.constantFrom(null, '255.255.255.0'), fc.oneof(almostAddress, fc.constant(undefined as unknown as null))),
  },
  { requiredKeys: ['key', 'name', 'protocol', 'address', 'port', 'fwmark', 'scheduler', 'persistent'] },
);
// Most of them invalid at random: also keys made to match, so that valid specs are common.
const matchingService = service.map((s) => ({ ...s, key: s.fwmark !== 0 ? `fwm|${s.fwmark}` : `${s.protocol}|${s.address}|${s.port}` }));
const serviceOp = fc.oneof(
  withExtra(fc.record({ op: fc.constantFrom('addService', 'editService'), service: fc.oneof(service, matchingService, matchingService.map((s) => ({ ...s, extra: 1 }))) })),
  withExtra(fc.record({ op: fc.constant('deleteService'), key })),
);

test('service operations: accepted by checkOp exactly when the schema accepts them', () => {
  let accepted = 0;
  fc.assert(
    fc.property(serviceOp, (op) => {
      const fast = checkOp(op);
      const schema = dataplaneOpSchema.safeParse(op);
      assert.equal(fast.ok, schema.success, JSON.stringify(op));
      if (fast.ok && schema.success) {
        accepted++;
        assert.deepEqual(JSON.stringify(fast.op), JSON.stringify(schema.data), 'the same operation as the schema reads it');
      }
    }),
    { numRuns: 5000 },
  );
  assert.ok(accepted > 100, `valid operations were drawn too (${accepted})`);
});

test('a refusal names the field, as the schema says it', () => {
  assert.deepEqual(checkOp({ op: 'addReal', key: 'tcp|10.0.0.1|80', real: { address: '10.0.0.1 -x', port: 80, weight: 1, method: 'm' } }), {
    ok: false,
    message: 'invalid operation: real.address: must be an IPv4 address or a host name',
  });
  assert.deepEqual(checkOp({ op: 'editReal', key: 'tcp|10.0.0.1|80', real: { address: '10.0.0.2', port: 80, weight: 70000, method: 'g' } }).ok, false);
  assert.equal(checkOp({ op: 'addReal', key: 'tcp|10.0.0.1|80', real: { address: 'web1.example.com', port: 80, weight: 1, method: 'm' } }).ok, true, 'a host name goes through the schema');
});
