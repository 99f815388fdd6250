import { ManualClock } from '@flywheel/platform';
import { FakeOnlineFeatures } from '../testing/fakes';
import { CachedOnlineFeatures } from './online-features';

const FEATURES = ['amount', 'region'];
const values = (amount: number) => ({ amount: { numberValue: amount } });

function cached(clock = new ManualClock('2026-03-01T12:00:00Z'), entities = 100) {
  const store = new FakeOnlineFeatures();
  const online = new CachedOnlineFeatures(store, clock, { ONLINE_FEATURES_CACHE_ENTITIES: entities });
  return { store, online, clock };
}

describe('CachedOnlineFeatures', () => {
  it('asks the feature store once per view, entity and feature list, then answers from memory', async () => {
    const { store, online } = cached();
    store.entities.set('claims/c1', { status: 'present', values: values(10), expireTime: null });
    for (let i = 0; i < 3; i++) expect(await online.lookup('claims', 'c1', FEATURES, 1000)).toMatchObject({ values: values(10) });
    expect(await online.lookup('claims', 'c2', FEATURES, 1000)).toEqual({ status: 'missing' });
    expect(await online.lookup('claims', 'c2', FEATURES, 1000)).toEqual({ status: 'missing' });
    await online.lookup('claims', 'c1', ['amount'], 1000);
    expect(store.calls.map((c) => `${c.entityKey} ${c.features.join(',')}`)).toEqual(['c1 amount,region', 'c2 amount,region', 'c1 amount']);
  });

  it('says EXPIRED once the values pass the expiry time the feature store gave, without asking again', async () => {
    const { store, online, clock } = cached();
    const expireTime = new Date('2026-03-01T12:30:00Z');
    store.entities.set('claims/c1', { status: 'present', values: values(10), expireTime });
    expect((await online.lookup('claims', 'c1', FEATURES, 1000)).status).toBe('present');
    clock.set(new Date(expireTime.getTime() - 1));
    expect((await online.lookup('claims', 'c1', FEATURES, 1000)).status).toBe('present');
    clock.set(expireTime);
    expect(await online.lookup('claims', 'c1', FEATURES, 1000)).toEqual({ status: 'expired' });
    expect(store.calls).toHaveLength(1);
  });

  it('asks again for a view the feature store says changed, and only for that view', async () => {
    const { store, online } = cached();
    store.entities.set('claims/c1', { status: 'present', values: values(10), expireTime: null });
    store.entities.set('payments/p1', { status: 'present', values: values(5), expireTime: null });
    await online.lookup('claims', 'c1', FEATURES, 1000);
    await online.lookup('claims', 'c9', FEATURES, 1000);
    await online.lookup('payments', 'p1', FEATURES, 1000);
    store.entities.set('claims/c1', { status: 'present', values: values(20), expireTime: null });
    store.entities.set('claims/c9', { status: 'present', values: values(90), expireTime: null });
    online.invalidate('claims');
    expect(await online.lookup('claims', 'c1', FEATURES, 1000)).toMatchObject({ values: values(20) });
    expect(await online.lookup('claims', 'c9', FEATURES, 1000)).toMatchObject({ values: values(90) });
    await online.lookup('payments', 'p1', FEATURES, 1000);
    expect(store.calls.map((c) => c.entityKey)).toEqual(['c1', 'c9', 'p1', 'c1', 'c9']);
  });

  it('with a bound of 0 asks the feature store every time', async () => {
    const { store, online } = cached(undefined, 0);
    await online.lookup('claims', 'c1', FEATURES, 1000);
    await online.lookup('claims', 'c1', FEATURES, 1000);
    expect(store.calls).toHaveLength(2);
  });
});
