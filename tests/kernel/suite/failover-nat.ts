// A NAT router pair on the kernel (lvs.cf backup_active = 1, network = nat): two router
// namespaces, each with its own IPVS table and its own agent; the VIP and nat_router float. Crash
// and heartbeat-cut failover (lib/pair-failover.ts), with a client making a new connection every
// 50 ms throughout; the suite's own run makes two crashes and three cuts (PIRANHA_KERNEL_TRIALS
// sets both: bench/kernel-failover/ runs 20).
import { Lab } from '../../../testing/lab.ts';
import { natPairLab } from '../lib/pair-topology.ts';
import { pairFailoverSuite } from '../lib/pair-failover.ts';
import { trials } from '../lib/failover-trials.ts';

pairFailoverSuite({ lab: new Lab('kfn'), label: 'NAT', layout: natPairLab, crashes: trials(2), cuts: trials(3) });
