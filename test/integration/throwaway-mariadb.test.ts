import { createConnection } from 'mysql2/promise';
import { startThrowawayMariadb } from '../../local/throwaway-mariadb';

describe('throwaway MariaDB', () => {
  it('starts with the requested settings on its own port and leaves nothing behind when stopped', async () => {
    const server = await startThrowawayMariadb({ 'log-bin': 'binlog', 'binlog-format': 'ROW', 'server-id': 7 });
    try {
      const connection = await createConnection({ host: server.host, port: server.port, user: server.user, password: server.password });
      const [rows] = await connection.query('SELECT @@log_bin AS logBin, @@binlog_format AS format, @@server_id AS serverId, @@port AS port');
      await connection.end();
      expect(rows).toEqual([{ logBin: 1, format: 'ROW', serverId: 7, port: server.port }]);
    } finally {
      await server.stop();
    }
    await expect(createConnection({ host: server.host, port: server.port, user: 'root' })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('starts several servers at once, as parallel test files do, each on its own port', async () => {
    const servers = await Promise.all([1, 2, 3].map(() => startThrowawayMariadb({ 'log-bin': 'binlog', 'server-id': 1 })));
    try {
      expect(new Set(servers.map((server) => server.port)).size).toBe(3);
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  });
});
