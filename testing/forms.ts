// Values typed into the console's forms by its tests: a valid set per panel, and hostile values.
export const GLOBAL_OK = {
  primary: '10.0.0.2', primary_private: '10.1.0.1', network: 'nat', nat_ip: '10.1.0.254', nat_nmask: '255.255.255.0',
  nat_dev: 'eth1:1', tcp_timeout: '900', tcpfin_timeout: '120', udp_timeout: '300',
};

export const REDUNDANCY_OK = {
  backup: '10.0.0.3', backup_private: '10.1.0.3', keepalive: '2', deadtime: '10', heartbeat_port: '1539',
  monitor_links: '1', syncdaemon: '1', syncd_iface: 'eth2', syncd_id: '7',
};

export const VIRTUAL_OK = {
  name: 'www', port: '443', protocol: 'tcp', address: '192.168.1.200', vip_nmask: '255.255.255.0', sorry_server: '192.168.1.99',
  fwmark: '80', device: 'eth0:2', reentry: '30', timeout: '5', quiesce_server: '1', load_monitor: 'rup', scheduler: 'sh',
  persistent: '300', pmask: '255.255.0.0',
};

export const REAL_OK = { name: 'r9', address: '192.168.1.19', port: '8443', weight: '5' };

export const SCRIPTS_OK = { send_program: '/usr/local/bin/check-dns %h', send: 'quit\\r\\n', expect: '220', use_regex: '1' };

/** Values no field may accept (each would break a line, a quoted value, or the file's encoding). */
export const HOSTILE_EVERYWHERE = [
  'x\nsend_program = /bin/sh -c id',
  'x\rsend_program = /bin/sh',
  'x\u0000y',
  'x"y',
  'caf\u00e9',
  'x'.repeat(300),
];
/** Also refused by every unquoted field. */
export const HOSTILE_UNQUOTED = ['a{b', 'a}b', '#x', "a'b"];
