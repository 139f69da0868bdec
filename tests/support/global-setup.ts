// Placeholder replaced by the local-broker global setup (brokers/local).
export default async function setup(): Promise<void> {}
