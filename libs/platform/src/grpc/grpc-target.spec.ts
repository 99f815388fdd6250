import { parseGrpcTarget } from './grpc-target';

describe('parseGrpcTarget', () => {
  it('keeps one host:port as it is, with the channel default (first address)', () => {
    expect(parseGrpcTarget('127.0.0.1:8055')).toEqual({ target: '127.0.0.1:8055' });
    expect(parseGrpcTarget(' deployer.flywheel:8055 ')).toEqual({ target: 'deployer.flywheel:8055' });
  });

  it('turns replicas ip:port,ip:port into one ipv4 or ipv6 target balanced round robin', () => {
    const v4 = parseGrpcTarget('127.0.0.1:8055, 127.0.0.1:8155');
    expect(v4.target).toBe('ipv4:127.0.0.1:8055,127.0.0.1:8155');
    expect(JSON.parse(v4.serviceConfig!)).toEqual({ loadBalancingConfig: [{ round_robin: {} }] });
    expect(parseGrpcTarget('[::1]:8055,[::1]:8155').target).toBe('ipv6:[::1]:8055,[::1]:8155');
  });

  it('balances a dns: target over every address the name resolves to', () => {
    expect(parseGrpcTarget('dns:///deployer-replicas:8055')).toEqual({
      target: 'dns:///deployer-replicas:8055',
      serviceConfig: JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
    });
  });

  it('refuses what is no address, naming the entry', () => {
    expect(() => parseGrpcTarget('127.0.0.1')).toThrow('"127.0.0.1" is not host:port');
    expect(() => parseGrpcTarget('127.0.0.1:8055,')).toThrow('"" is not host:port');
    expect(() => parseGrpcTarget('127.0.0.1:99999')).toThrow('"127.0.0.1:99999" is not host:port');
    expect(() => parseGrpcTarget('127.0.0.1:1;rm -rf /')).toThrow('is not host:port');
  });

  it('refuses a list of names or of mixed families, which grpc-js cannot resolve as one', () => {
    expect(() => parseGrpcTarget('a.example:8055,b.example:8055')).toThrow(
      'all be IPv4 or all IPv6 addresses (for a name, use dns:///name:port)',
    );
    expect(() => parseGrpcTarget('127.0.0.1:8055,[::1]:8055')).toThrow('all be IPv4 or all IPv6');
  });
});
