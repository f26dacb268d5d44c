// The Durable Streams conformance suite against the herald at CONFORMANCE_TEST_URL (its origin:
// the suite's streams live under /v1/stream/). The package's own CLI finds no tests once it is
// installed as a dependency, so it runs from this file.
import { runConformanceTests } from "@durable-streams/server-conformance-tests";

runConformanceTests({ baseUrl: process.env.CONFORMANCE_TEST_URL });
