// What `linli serve` needs to run as one of several nodes on one PostgreSQL
// database (docs/SCALING.md): a read handle on a streaming replica, live
// notifications across nodes, and the same data key on every node.
#pragma once
#include <memory>
#include <string>

#include "core/error.hpp"
#include "store/db.hpp"

namespace linli::cluster {

// A Db for KPIs, dashboards and exports: reads from the replica at
// replica_url, writes to primary (store::ReadReplicaDb). Fails with
// unavailable when the replica cannot be reached, invalid for a store that is
// not PostgreSQL.
Result<std::unique_ptr<store::Db>> open_reads(store::Db& primary, const std::string& replica_url);

// Checks that the loaded data key opens the personal data already in db, so a
// node started with another key (a fresh linli.key created by mistake)
// refuses to start instead of sealing numbers the other nodes cannot read.
// An empty database passes.
Status check_data_key(store::Db& db);

}  // namespace linli::cluster
