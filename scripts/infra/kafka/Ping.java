import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/**
 * Waits until a Kafka broker answers real protocol requests (DescribeCluster + Metadata).
 * Usage: Ping BOOTSTRAP TIMEOUT_SECONDS [PIDS [warm|- [BROKERS]]]  -- gives up early when one of the
 * processes PIDS (comma-separated) exits; waits until the cluster has BROKERS brokers (default 1).
 * With "warm", also waits until the group and transaction coordinators answer and a producer id can
 * be had (this creates __consumer_offsets and __transaction_state on a fresh broker), so that the first
 * consumer or idempotent producer of a test does not get "coordinator is loading" errors.
 * Prints "cluster <id>, <n> broker(s)" and exits 0, or exits 1.
 */
public class Ping {
  public static void main(String[] args) throws Exception {
    long deadline = System.currentTimeMillis() + 1000L * Long.parseLong(args[1]);
    long[] pids = args.length > 2 ? Arrays.stream(args[2].split(",")).mapToLong(Long::parseLong).toArray() : new long[0];
    boolean warm = args.length > 3 && args[3].equals("warm");
    // A cluster's internal topics are created with replication factor 3: they need all its brokers.
    int wanted = args.length > 4 ? Integer.parseInt(args[4]) : 1;
    Properties p = new Properties();
    p.put("bootstrap.servers", args[0]);
    p.put("request.timeout.ms", "3000");
    p.put("default.api.timeout.ms", "3000");
    p.put("reconnect.backoff.max.ms", "250");
    Exception last = null;
    try (Admin admin = Admin.create(p)) {
      while (System.currentTimeMillis() < deadline) {
        for (long pid : pids) {
          if (ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true)) {
            System.err.println("kafka: broker process " + pid + " exited");
            System.exit(1);
          }
        }
        try {
          DescribeClusterResult r = admin.describeCluster();
          String id = r.clusterId().get();
          int brokers = r.nodes().get().size();
          admin.listTopics().names().get();
          if (brokers >= wanted && warm) {
            try { // "not found" answers come from a coordinator that has loaded: that is all we want
              admin.describeConsumerGroups(List.of("infra-warmup")).all().get();
            } catch (ExecutionException e) {
              if (!(e.getCause() instanceof GroupIdNotFoundException)) throw e;
            }
            // InitProducerId: creates __transaction_state and fetches a producer-id block from the controller
            admin.fenceProducers(List.of("infra-warmup")).all().get();
          }
          if (brokers >= wanted) {
            System.out.println("cluster " + id + ", " + brokers + " broker(s)");
            return;
          }
        } catch (Exception e) {
          last = e;
        }
        Thread.sleep(300);
      }
    }
    System.err.println("kafka: no answer from " + args[0] + (last == null ? "" : ": " + last));
    System.exit(1);
  }
}
