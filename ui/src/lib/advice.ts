import type { ErrorCode } from "../ipc";

/**
 * What a user can do about a failure with `code`, when there is more to say than its message:
 * a failed deploy task carries the code its runtime's failure has (`TaskView.errorCode`).
 */
const ADVICE: Partial<Record<ErrorCode, string>> = {
  DOCKER_UNREACHABLE:
    "Docker did not answer: start it (Docker Desktop, `colima start`, `sudo systemctl start docker`), then deploy again.",
  DOCKER_TIMEOUT:
    "Docker was too slow to answer: check that it is not stuck (restart it), then deploy again.",
  DOCKER_API: "Docker refused the request: the message above says what it took issue with.",
  KUBE_UNREACHABLE:
    "The cluster did not answer: check that it runs (`kind get clusters`, `minikube status`), then deploy again.",
  KUBE_REFUSED:
    "The cluster refused: log in again, or ask for the permission the message names (RBAC).",
  KUBE_FAILED:
    "The cluster did not get there in time: `kubectl describe` the environment's pods to see why.",
  NOT_FOUND:
    "Something the task needs does not exist (an image, a volume): build it, or fix its name in the configuration.",
  CONFLICT:
    "Something by the same name or port exists already: remove it or free the port, then deploy again.",
};

export function adviceFor(code: ErrorCode | null): string | undefined {
  return code === null ? undefined : ADVICE[code];
}
