/**
 * deploy/: the Kubernetes manifests of a sharded scan (README "Sharded scans on Kubernetes").
 * Each is valid against the Kubernetes API schema (kubernetes-models), and the Indexed Job runs
 * what the issue asks: one pod per shard, the completion index as --shard, the same seed and
 * shard count everywhere, output named by the index (a retried index overwrites its own file),
 * NET_RAW without privileged, the image's non-root user; its arguments are a Porthole command
 * line that parses, shard by shard.
 */

import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { Job } from "kubernetes-models/batch/v1";
import { PersistentVolumeClaim, Pod } from "kubernetes-models/v1";
import { parseOptions } from "../cli/options/mod.ts";

const DEPLOY = new URL("../deploy/", import.meta.url).pathname;
// deno-lint-ignore no-explicit-any
const read = (name: string): any => JSON.parse(Deno.readTextFileSync(DEPLOY + name));

Deno.test("k8s: every manifest in deploy/ is valid against the Kubernetes API schema", () => {
  const job = read("porthole-shards-job.json");
  new Job(job).validate();
  new PersistentVolumeClaim(read("porthole-results-pvc.json")).validate();
  new Pod(read("porthole-merge-pod.json")).validate();
  // The schema is really checked: a wrong type is refused.
  const bad = structuredClone(job);
  bad.spec.template.spec.containers[0].securityContext.privileged = "false";
  throws(() => new Job(bad).validate(), /privileged must be boolean/);
});

Deno.test("k8s: the Indexed Job runs shard = completion index, unprivileged, idempotent by index", () => {
  const job = read("porthole-shards-job.json");
  equal(job.spec.completionMode, "Indexed");
  const n: number = job.spec.completions;
  ok(n >= 2);
  const pod = job.spec.template.spec;
  equal(pod.containers.length, 1);
  const c = pod.containers[0];
  // The completion index, from the annotation the Job controller sets on every pod.
  const env = c.env.find((e: { name: string }) => e.name === "JOB_COMPLETION_INDEX");
  equal(
    env.valueFrom.fieldRef.fieldPath,
    "metadata.annotations['batch.kubernetes.io/job-completion-index']",
  );
  // NET_RAW (and NET_ADMIN, which the image's capped deno needs in the bounding set), nothing
  // else; not privileged; privilege escalation allowed (file capabilities need it: Containerfile).
  equal(c.securityContext.privileged, false);
  deepEqual(c.securityContext.capabilities, { drop: ["ALL"], add: ["NET_RAW", "NET_ADMIN"] });
  equal(c.securityContext.allowPrivilegeEscalation, true);
  equal(pod.securityContext.runAsNonRoot, true);
  match(Deno.readTextFileSync(new URL("../Containerfile", import.meta.url)), /^USER 10001:10001$/m);
  equal(pod.securityContext.runAsUser, 10001);
  // Results to a volume that outlives the pods.
  const results = c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === "/results");
  const vol = pod.volumes.find((v: { name: string }) => v.name === results.name);
  equal(vol.persistentVolumeClaim.claimName, read("porthole-results-pvc.json").metadata.name);

  // Each index's command line, as the kubelet expands it: the same scan, its own shard and files.
  const files = new Set<string>();
  for (let i = 0; i < n; i++) {
    const args = c.args.map((a: string) => a.replaceAll("$(JOB_COMPLETION_INDEX)", String(i)));
    const o = parseOptions(args, { skipFileChecks: true });
    deepEqual({ ...o.shard }, { count: n, index: i, seed: o.shard!.seed, by: "host" });
    equal(o.output.appendOutput, false, "a retried shard overwrites its own file");
    for (const f of [o.output.xml, o.output.json]) {
      ok(f?.startsWith("/results/") && f.includes(String(i)), `${f}`);
      ok(!files.has(f!), `${f} twice`);
      files.add(f!);
    }
  }
  // The merge pod merges exactly those XML files.
  const merge = read("porthole-merge-pod.json").spec.containers[0].args;
  equal(merge[0], "--merge");
  deepEqual(
    merge.slice(2).sort(),
    [...files].filter((f) => f.endsWith(".xml")).sort(),
  );
});
