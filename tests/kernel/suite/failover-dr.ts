// A direct-routing router pair on the kernel (lvs.cf backup_active = 1, network = direct): two
// router namespaces on one LAN with the client and the real servers (which hold the VIP on lo and
// answer the client straight), each router with its own IPVS table and agent; the VIP floats.
// Crash and heartbeat-cut failover as in failover-nat.ts (lib/pair-failover.ts); the suite's own
// run keeps to one crash and two cuts (PIRANHA_KERNEL_TRIALS sets both).
import { Lab } from '../../../testing/lab.ts';
import { directPairLab } from '../lib/pair-topology.ts';
import { pairFailoverSuite } from '../lib/pair-failover.ts';
import { trials } from '../lib/failover-trials.ts';

pairFailoverSuite({ lab: new Lab('kfd'), label: 'DR', layout: directPairLab, crashes: trials(1), cuts: trials(2) });
