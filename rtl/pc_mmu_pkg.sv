// Types and constants shared by the translation unit's modules: x86-64 paging-entry bits (Intel SDM
// Vol. 3A §4.5 tables 4-15..4-20), #PF error-code bits (§4.7) and the entry held by TLBs and PSCs.
package pc_mmu_pkg;

  localparam int PA_W = 46;  // MAXPHYADDR of the modeled cores
  localparam int TAG_W = 36;  // linear-address bits 47:12, the widest tag (4 KiB pages)

  // Paging-entry bits.
  localparam int B_P = 0, B_RW = 1, B_US = 2, B_PCD = 4, B_A = 5, B_D = 6, B_PS = 7, B_G = 8, B_NX = 63;
  // Bits 51..MAXPHYADDR are reserved in every entry; a PS=1 PDE reserves 20:13, a PS=1 PDPTE 29:13.
  localparam logic [63:0] RSVD_HIGH = 64'h000f_c000_0000_0000;
  localparam logic [63:0] RSVD_2M = 64'h0000_0000_001f_e000;
  localparam logic [63:0] RSVD_1G = 64'h0000_0000_3fff_e000;

  // #PF error code.
  localparam logic [4:0] EC_P = 5'h01, EC_W = 5'h02, EC_U = 5'h04, EC_RSVD = 5'h08, EC_I = 5'h10;

  typedef enum logic [1:0] {
    ACC_READ = 2'd0,
    ACC_WRITE = 2'd1,
    ACC_FETCH = 2'd2
  } acc_e;

  // Replacement policies of a set: true LRU, FIFO (recency updated on fill only), tree pseudo-LRU.
  localparam int REPL_LRU = 0, REPL_FIFO = 1, REPL_PLRU = 2;

  // What an invalidation covers (the TLB-maintenance operations reduce to these three).
  typedef enum logic [1:0] {
    INV_ADDR = 2'd0,  // entries translating one linear address (INVLPG, INVPCID type 0)
    INV_PCID = 2'd1,  // every entry of one PCID (CR3 write with PCIDs, INVPCID type 1)
    INV_ALL = 2'd2    // every entry (CR3 write without PCIDs, INVPCID types 2 and 3, CR4.PGE toggle)
  } inv_scope_e;

  // Memory-port operations of the walker.
  typedef enum logic [0:0] {
    MEM_READ = 1'b0,
    MEM_CMPXCHG = 1'b1  // 8-byte compare-exchange: new value on wdata, expected on cmp, old value back
  } mem_op_e;

  // One cached translation (TLB) or one cached non-leaf entry (paging-structure cache).
  typedef struct packed {
    logic [PA_W-13:0] frame;   // physical bits 45:12 of the page (TLB) or of the next table (PSC)
    logic [PA_W-4:0] leaf_pa;  // TLB: physical bits 45:3 of the leaf entry (dirty assist)
    logic glob;                // TLB: G=1 in the leaf with CR4.PGE=1 (matches every PCID)
    logic rw, us, nx;          // rights combined over every level used
    logic dirty;               // TLB: D was 1 when cached
    logic pcd;                 // PSC: the next table is uncacheable
  } entry_t;

endpackage
