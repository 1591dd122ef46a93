// PgwireCheck drives auditlake's Postgres port with the PostgreSQL JDBC
// driver and prints what it sees, one fact per line; the Go test
// (jdbc_test.go) compares the lines with answers computed from the lake.
//
// Usage: java -cp postgresql.jar:DIR PgwireCheck URL USER PASSWORD MODE
// MODE is "all" (metadata, prepared statements, fetch size, cancel) or
// "tables" (metadata only).
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TimeZone;
import java.util.concurrent.atomic.AtomicReference;
import org.postgresql.PGStatement;

public class PgwireCheck {
    public static void main(String[] args) throws Exception {
        TimeZone.setDefault(TimeZone.getTimeZone("UTC"));
        Properties props = new Properties();
        props.setProperty("user", args[1]);
        props.setProperty("password", args[2]);
        try (Connection conn = DriverManager.getConnection(args[0], props)) {
            metadata(conn);
            if (args[3].equals("all")) {
                prepared(conn);
                fetchSize(conn);
                cancel(conn);
            }
        }
    }

    // metadata prints the tables of schema public and the columns of prod.
    static void metadata(Connection conn) throws SQLException {
        DatabaseMetaData md = conn.getMetaData();
        System.out.println("product: " + md.getDatabaseProductName() + " " + md.getDatabaseMajorVersion());
        try (ResultSet rs = md.getTables(null, "public", "%", null)) {
            while (rs.next()) {
                System.out.println("table: " + rs.getString("TABLE_SCHEM") + "." + rs.getString("TABLE_NAME") + " " + rs.getString("TABLE_TYPE"));
            }
        }
        try (ResultSet rs = md.getColumns(null, "public", "prod", "%")) {
            while (rs.next()) {
                System.out.println("column: " + rs.getInt("ORDINAL_POSITION") + " " + rs.getString("COLUMN_NAME") + " " + rs.getString("TYPE_NAME") + " " + rs.getInt("DATA_TYPE"));
            }
        }
    }

    // prepared runs one statement with parameters ten times, past the
    // driver's prepareThreshold (5), where it switches to a named
    // server-side statement and binary results.
    static void prepared(Connection conn) throws SQLException {
        String sql = "SELECT count(*), max(eventTime) FROM prod WHERE eventName = ? AND eventTime < ?";
        long base = Timestamp.valueOf("2024-01-01 00:00:00").getTime();
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            for (int i = 0; i < 10; i++) {
                ps.setString(1, i % 2 == 0 ? "GetObject" : "PutObject");
                ps.setTimestamp(2, new Timestamp(base + (10L + 3 * i) * 60_000));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    Timestamp max = rs.getTimestamp(2);
                    System.out.println("prepared " + i + ": " + rs.getLong(1) + " " + (max == null ? "null" : max.toString()));
                }
            }
            System.out.println("server prepared: " + ps.unwrap(PGStatement.class).isUseServerPrepare());
        }
    }

    // fetchSize reads a store in batches of 7 rows: with autocommit off the
    // driver keeps a portal open and executes it with a row limit.
    static void fetchSize(Connection conn) throws SQLException {
        conn.setAutoCommit(false);
        try (Statement st = conn.createStatement()) {
            st.setFetchSize(7);
            List<String> ids = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT eventID, eventTime FROM prod ORDER BY eventTime")) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
            System.out.println("fetch: " + ids.size() + " " + ids.get(0) + " " + ids.get(ids.size() - 1));
        }
        conn.commit();
        conn.setAutoCommit(true);
    }

    // cancel runs a statement that would take very long and cancels it
    // from another thread, as a GUI's stop button does.
    static void cancel(Connection conn) throws Exception {
        try (Statement st = conn.createStatement()) {
            AtomicReference<String> state = new AtomicReference<>("no error");
            Thread t = new Thread(() -> {
                try {
                    st.executeQuery("SELECT count(*) FROM prod a, prod b, prod c, prod d, prod e, prod f");
                } catch (SQLException e) {
                    state.set(e.getSQLState());
                }
            });
            t.start();
            for (int i = 0; i < 100 && t.isAlive(); i++) {
                Thread.sleep(200);
                st.cancel();
            }
            t.join(30_000);
            System.out.println("cancel: " + state.get());
        }
        // The connection is still usable after a cancel.
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM prod")) {
            rs.next();
            System.out.println("after cancel: " + rs.getLong(1));
        }
    }
}
