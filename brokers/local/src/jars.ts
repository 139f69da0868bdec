import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LocalKafkaError } from './errors.ts'

/** The Kafka release brokers/local/pom.xml names: Strimzi 1.2.0's default. */
export const kafkaVersion = '4.3.1'

export const localBrokerDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const pomPath = join(localBrokerDir, 'pom.xml')
export const log4jConfigPath = join(localBrokerDir, 'log4j2.properties')
export const defaultJarCacheDir = join(homedir(), '.cache', 'taskflow', `kafka-${kafkaVersion}`)

const completeMarker = '.complete'

export type CommandResult = { code: number | null; output: string }

/** Runs a command to completion, collecting stdout and stderr; ENOENT rejects. */
export function runCommand(command: string, args: readonly string[]): Promise<CommandResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.once('error', reject)
    child.once('close', (code) => resolvePromise({ code, output }))
  })
}

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT'

/** Kafka 4 brokers need Java 17 or newer. */
export async function assertJava(): Promise<void> {
  let result: CommandResult
  try {
    result = await runCommand('java', ['-version'])
  } catch (error) {
    if (!isMissing(error)) throw error
    throw new LocalKafkaError(
      'java-missing',
      'java is not on the PATH: the local Kafka broker needs Java 17+.',
      {
        cause: error,
      },
    )
  }
  const major = Number(/version "(\d+)/.exec(result.output)?.[1] ?? Number.NaN)
  if (!(major >= 17)) {
    throw new LocalKafkaError(
      'java-missing',
      `Kafka ${kafkaVersion} needs Java 17+, found: ${result.output.split('\n')[0]}`,
    )
  }
}

/** Whether the jars are in the cache already (else the next start downloads them, ~10-30 s). */
export function kafkaJarsCached(cacheDir: string = defaultJarCacheDir): boolean {
  return existsSync(join(cacheDir, 'libs', completeMarker))
}

/**
 * The broker's jars, resolved by Maven into a cache outside the repository. The copy happens in a
 * temporary folder renamed into place with its completion marker, so a crashed or concurrent fetch
 * never leaves a half-filled cache that looks complete.
 */
export async function ensureKafkaJars(cacheDir: string = defaultJarCacheDir): Promise<string> {
  const libs = join(cacheDir, 'libs')
  if (existsSync(join(libs, completeMarker))) return libs
  await mkdir(cacheDir, { recursive: true })
  const staging = join(cacheDir, `libs.${process.pid}.${Date.now()}`)
  let result: CommandResult
  try {
    result = await runCommand('mvn', [
      '-B',
      '-q',
      '-f',
      pomPath,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${staging}`,
      '-DincludeScope=runtime',
    ])
  } catch (error) {
    if (!isMissing(error)) throw error
    throw new LocalKafkaError(
      'mvn-missing',
      `mvn is not on the PATH: it fetches the Kafka ${kafkaVersion} jars once (into ${cacheDir}).`,
      { cause: error },
    )
  }
  if (result.code !== 0) {
    await rm(staging, { recursive: true, force: true })
    throw new LocalKafkaError(
      'jar-fetch-failed',
      `Maven could not fetch the Kafka jars:\n${result.output.slice(-4_000)}`,
    )
  }
  await writeFile(join(staging, completeMarker), `kafka ${kafkaVersion}\n`)
  // A folder without the marker is the leftover of an interrupted run of an older layout.
  if (existsSync(libs) && !existsSync(join(libs, completeMarker)))
    await rm(libs, { recursive: true, force: true })
  try {
    await rename(staging, libs)
  } catch (error) {
    // Another process finished first: its complete copy is as good as ours.
    await rm(staging, { recursive: true, force: true })
    if (!existsSync(join(libs, completeMarker))) throw error
  }
  return libs
}
