/** The two ways the benchmark times a caller: calls one after another, and many in flight. */

/** Milliseconds of each of `count` sequential calls. */
export async function sequential(callIt, method, params, count) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await callIt(method, params);
    times.push(performance.now() - started);
  }
  return times;
}

/** `total` echo calls kept `inFlight` at a time: how many, and how long they took. */
export async function throughput(callIt, inFlight, total) {
  let started = 0;
  const began = performance.now();
  const worker = async () => {
    while (started < total) {
      started++;
      await callIt('echo', { n: started });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { calls: total, seconds: (performance.now() - began) / 1000 };
}
