// x86-64 4-level page walker with PML4E/PDPTE/PDE paging-structure caches (Intel SDM Vol. 3A §4.5,
// §4.8, §4.10.3). Reads entries top-down through its memory port; on a fault nothing is written. Then,
// top to leaf, each entry used whose A is 0 (and the leaf's D on a write) gets ONE compare-exchange
// (expected = the value read, new = that value | bits); if it fails the walk re-reads that entry and
// those below, re-checks P, reserved bits and rights, and goes on. An invalidation that arrives while
// a walk is in flight makes it start again from the top instead of filling anything. The dirty assist
// re-reads the leaf of a clean TLB entry, re-checks P, R/W and the frame, and compare-exchanges D in.
module pc_walker
  import pc_mmu_pkg::*;
#(
    parameter int PML4_E = 4,
    parameter int PDPT_E = 8,
    parameter int PD_E = 32,
    parameter int REPL = REPL_LRU,
    parameter bit INJECT_BUG = 1'b0  // test only: PSC entries keep their own rights, not the combined ones
) (
    input logic clk,
    input logic rst_n,
    input logic [7:0] cfg_psc_lat,  // paging-structure-cache lookup cycles
    // Command: a walk, or a dirty assist of the TLB entry described by da_*.
    input logic start,
    input logic start_da,
    input logic [35:0] vpn,
    input acc_e acc,
    input logic [11:0] pcid,
    input logic [63:0] cr3,
    input logic cr4_pge,
    input logic cr4_pcide,  // with PCIDs, CR3 bits 3 and 4 are PCID bits, not PWT/PCD
    input logic [PA_W-4:0] da_leaf_pa,
    input logic [PA_W-13:0] da_frame,
    input logic [1:0] da_size,
    output logic busy,
    // Result, valid while done is high (one cycle; the caller fills its TLBs at that edge).
    output logic done,
    output logic fault,
    output logic [4:0] ec,
    output entry_t leaf,
    output logic [1:0] leaf_size,
    output logic da_redo,  // the dirty assist found the leaf changed: drop the entry and walk
    output logic [2:0] psc_level,  // PSC the walk (attempt) started below (2 PDE, 3 PDPTE, 4 PML4E), 0 none
    output logic restart,  // pulse: an invalidation sent the walk back to the top
    // Memory port: one request at a time.
    output logic mreq_valid,
    input logic mreq_ready,
    output mem_op_e mreq_op,
    output logic [PA_W-1:0] mreq_addr,
    output logic [63:0] mreq_wdata,
    output logic [63:0] mreq_cmp,
    output logic [2:0] mreq_level,
    output logic mreq_uc,
    input logic mrsp_valid,
    input logic [63:0] mrsp_rdata,
    // Invalidations (the PSCs drop entries; a walk in flight starts again).
    input logic inv_valid,
    input inv_scope_e inv_scope,
    input logic [35:0] inv_vpn,  // linear-address bits 47:12
    input logic [11:0] inv_pcid
);
  typedef enum logic [3:0] {
    W_IDLE,
    W_PSC,
    W_RD,
    W_RDW,
    W_CHK,
    W_AD,
    W_ADW,
    W_DONE,
    W_DA_RD,
    W_DA_RDW,
    W_DA_CAS,
    W_DA_CASW
  } state_e;

  typedef struct packed {
    logic rw, us, nx;
  } rights_t;

  state_e st_q;
  logic [7:0] cnt_q;
  logic abort_q;
  logic [35:0] vpn_q;
  acc_e acc_q;
  logic [11:0] pcid_q;
  logic pge_q;
  logic [2:0] lvl_q;  // level being read or updated
  logic [2:0] top_q;  // highest level this walk reads
  logic [PA_W-13:0] table_q;
  logic uc_q;
  rights_t rights_q;  // combined rights above lvl_q
  logic [PA_W-1:0] ref_pa[1:4];
  logic [63:0] ref_val[1:4];
  logic ref_uc[1:4];
  rights_t ref_in[1:4];   // rights above this level (to re-read it)
  rights_t ref_out[1:4];  // rights through this level
  logic [2:0] leaf_lvl_q;
  logic fault_q, redo_q;
  logic da_q;  // the command is a dirty assist (never restarted by an invalidation)
  logic [4:0] ec_q;
  logic [2:0] psc_lvl_q;
  logic [63:0] da_val_q;
  logic [PA_W-4:0] da_pa_q;
  logic [PA_W-13:0] da_frame_q;
  logic [1:0] da_size_q;

  wire write = acc_q == ACC_WRITE;
  wire fetch = acc_q == ACC_FETCH;
  wire [4:0] acc_ec = EC_U | (write ? EC_W : 5'h0) | (fetch ? EC_I : 5'h0);

  // ---- paging-structure caches: entry for level l is tagged by linear-address bits 47:12+9(l-1) ----
  logic [2:0] psc_hit;  // [0] PDE, [1] PDPTE, [2] PML4E
  entry_t psc_ent[3];
  logic [2:0] psc_touch, psc_fill;
  entry_t psc_fill_ent[3];
  localparam int PSC_E[3] = '{PD_E, PDPT_E, PML4_E};
  logic [11:0] unused_pcid[3];
  wire psc_any = PD_E + PDPT_E + PML4_E > 0;
  for (genvar i = 0; i < 3; i++) begin : g_psc
    if (PSC_E[i] > 0) begin : g_arr
      pc_tlb_array #(
          .ENTRIES(PSC_E[i]),
          .WAYS(PSC_E[i]),
          .REPL(REPL)
      ) u_psc (
          .clk,
          .rst_n,
          .lk_tag(vpn_q >> (9 * (i + 1))),
          .lk_pcid(pcid_q),
          .lk_hit(psc_hit[i]),
          .lk_entry(psc_ent[i]),
          .lk_entry_pcid(unused_pcid[i]),
          .lk_touch(psc_touch[i]),
          .lk_set_dirty(1'b0),
          .fill_valid(psc_fill[i]),
          .fill_tag(vpn_q >> (9 * (i + 1))),
          .fill_pcid(pcid_q),
          .fill_entry(psc_fill_ent[i]),
          .inv_valid,
          .inv_scope,
          .inv_keep_global(1'b0),
          .inv_tag(inv_vpn >> (9 * (i + 1))),
          .inv_pcid
      );
    end else begin : g_none
      assign psc_hit[i] = 1'b0;
      assign psc_ent[i] = '0;
      assign unused_pcid[i] = '0;
      logic unused_psc;
      assign unused_psc = psc_touch[i] | psc_fill[i] | (|psc_fill_ent[i]);
    end
  end

  // ---- combinational helpers ----
  function automatic logic [63:0] rsvd_mask(input logic [63:0] v, input logic [2:0] l);
    logic [63:0] m;
    m = RSVD_HIGH;
    if (l >= 3'd4) m[B_PS] = 1'b1;
    else if (l == 3'd3 && v[B_PS]) m |= RSVD_1G;
    else if (l == 3'd2 && v[B_PS]) m |= RSVD_2M;
    return m;
  endfunction

  function automatic logic [8:0] index_of(input logic [35:0] vp, input logic [2:0] l);
    return 9'(vp >> (9 * (int'(l) - 1)));
  endfunction

  wire [63:0] rd = mrsp_rdata;
  wire rd_leaf = lvl_q == 3'd1 || ((lvl_q == 3'd2 || lvl_q == 3'd3) && rd[B_PS]);
  rights_t rd_rights;
  assign rd_rights = '{rw: rights_q.rw & rd[B_RW], us: rights_q.us & rd[B_US], nx: rights_q.nx | rd[B_NX]};

  // The highest level, from the top of this walk down to the leaf, whose entry still needs A (or D).
  logic need_ad;
  logic [2:0] ad_lvl;
  logic [63:0] ad_bits;
  always_comb begin
    need_ad = 1'b0;
    ad_lvl = 3'd1;
    ad_bits = '0;
    for (int l = 1; l <= 4; l++) begin
      logic [63:0] b;
      b = '0;
      b[B_A] = !ref_val[l][B_A];
      b[B_D] = 3'(l) == leaf_lvl_q && write && !ref_val[l][B_D];
      if (3'(l) >= leaf_lvl_q && 3'(l) <= top_q && b != 0) begin
        need_ad = 1'b1;
        ad_lvl = 3'(l);
        ad_bits = b;
      end
    end
  end
  rights_t leaf_rights;
  assign leaf_rights = ref_out[leaf_lvl_q];
  wire perm_fault = !leaf_rights.us || (write && !leaf_rights.rw) || (fetch && leaf_rights.nx);

  // Result.
  wire [63:0] lv = ref_val[leaf_lvl_q];
  logic [PA_W-13:0] size_mask;
  assign size_mask = leaf_lvl_q == 3'd3 ? {{(PA_W - 30) {1'b1}}, 18'h0} :
                     leaf_lvl_q == 3'd2 ? {{(PA_W - 21) {1'b1}}, 9'h0} : '1;
  assign busy = st_q != W_IDLE;
  // A walk that saw an invalidation while in flight fills nothing: it starts again from the top (a fault
  // is reported as is: it fills nothing anyway). A dirty assist that saw one sends the access to a walk.
  wire inval_seen = abort_q || inv_valid;
  assign done = st_q == W_DONE && (da_q || fault_q || !inval_seen);
  assign restart = st_q == W_DONE && !done;
  assign fault = fault_q;
  assign ec = ec_q;
  assign da_redo = redo_q || (da_q && inval_seen);
  assign psc_level = psc_lvl_q;
  assign leaf_size = 2'(leaf_lvl_q - 3'd1);
  always_comb begin
    leaf = '0;
    leaf.frame = lv[PA_W-1:12] & size_mask;
    leaf.leaf_pa = ref_pa[leaf_lvl_q][PA_W-1:3];
    leaf.glob = lv[B_G] && pge_q;
    leaf.rw = leaf_rights.rw;
    leaf.us = leaf_rights.us;
    leaf.nx = leaf_rights.nx;
    leaf.dirty = lv[B_D];
  end

  // PSC fills when the walk completes: every non-leaf entry this walk read.
  always_comb begin
    for (int i = 0; i < 3; i++) begin
      psc_fill[i] = done && !fault_q && 3'(i + 2) <= top_q && 3'(i + 2) > leaf_lvl_q;
      psc_fill_ent[i] = '0;
      psc_fill_ent[i].frame = ref_val[i+2][PA_W-1:12];
      psc_fill_ent[i].pcd = ref_val[i+2][B_PCD];
      if (INJECT_BUG) begin
        psc_fill_ent[i].rw = ref_val[i+2][B_RW];
        psc_fill_ent[i].us = ref_val[i+2][B_US];
        psc_fill_ent[i].nx = ref_val[i+2][B_NX];
      end else begin
        psc_fill_ent[i].rw = ref_out[i+2].rw;
        psc_fill_ent[i].us = ref_out[i+2].us;
        psc_fill_ent[i].nx = ref_out[i+2].nx;
      end
    end
  end

  // PSC lookup: the longest match (PDE cache first) wins and is touched.
  wire psc_ready = cnt_q + 8'd1 >= cfg_psc_lat;  // the lookup state lasts max(1, cfg_psc_lat) cycles
  always_comb begin
    psc_touch = '0;
    if (st_q == W_PSC && psc_ready)
      psc_touch = psc_hit[0] ? 3'b001 : psc_hit[1] ? 3'b010 : psc_hit[2] ? 3'b100 : 3'b000;
  end

  // Memory port.
  always_comb begin
    mreq_valid = 1'b0;
    mreq_op = MEM_READ;
    mreq_addr = {table_q, index_of(vpn_q, lvl_q), 3'b000};
    mreq_wdata = '0;
    mreq_cmp = '0;
    mreq_level = lvl_q;
    mreq_uc = uc_q;
    case (st_q)
      W_RD: mreq_valid = 1'b1;
      W_AD: begin
        mreq_valid = 1'b1;
        mreq_op = MEM_CMPXCHG;
        mreq_addr = ref_pa[ad_lvl];
        mreq_cmp = ref_val[ad_lvl];
        mreq_wdata = ref_val[ad_lvl] | ad_bits;
        mreq_level = ad_lvl;
        mreq_uc = ref_uc[ad_lvl];
      end
      W_DA_RD, W_DA_CAS: begin
        mreq_valid = 1'b1;
        mreq_op = st_q == W_DA_CAS ? MEM_CMPXCHG : MEM_READ;
        mreq_addr = {da_pa_q, 3'b000};
        mreq_cmp = da_val_q;
        mreq_wdata = da_val_q | (64'h1 << B_D);
        mreq_level = 3'd0;  // not a walk reference
        mreq_uc = 1'b0;
      end
      default: ;
    endcase
  end

  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      st_q <= W_IDLE;
      cnt_q <= '0;
      abort_q <= 1'b0;
      fault_q <= 1'b0;
      redo_q <= 1'b0;
      da_q <= 1'b0;
      lvl_q <= 3'd4;
      top_q <= 3'd4;
      leaf_lvl_q <= 3'd1;
      psc_lvl_q <= '0;
      for (int l = 1; l <= 4; l++) begin
        ref_val[l] <= '0;
        ref_pa[l] <= '0;
        ref_uc[l] <= 1'b0;
        ref_in[l] <= '0;
        ref_out[l] <= '0;
      end
    end else begin
      // Any invalidation while busy: whatever the walk read may be stale.
      if (inv_valid && st_q != W_IDLE) abort_q <= 1'b1;
      case (st_q)
        W_IDLE:
        if (start) begin
          vpn_q <= vpn;
          acc_q <= acc;
          pcid_q <= pcid;
          pge_q <= cr4_pge;
          fault_q <= 1'b0;
          redo_q <= 1'b0;
          abort_q <= 1'b0;
          da_q <= start_da;
          cnt_q <= '0;
          da_pa_q <= da_leaf_pa;
          da_frame_q <= da_frame;
          da_size_q <= da_size;
          st_q <= start_da ? W_DA_RD : W_PSC;
        end
        W_PSC: begin
          abort_q <= 1'b0;  // a fresh walk: the invalidations so far are already in the PSCs
          fault_q <= 1'b0;
          for (int l = 1; l <= 4; l++) ref_val[l] <= '0;
          if (!psc_any || psc_ready) begin
            st_q <= W_RD;
            if (psc_hit[0] || psc_hit[1] || psc_hit[2]) begin
              automatic int h = psc_hit[0] ? 0 : psc_hit[1] ? 1 : 2;
              lvl_q <= 3'(h + 1);
              top_q <= 3'(h + 1);
              table_q <= psc_ent[h].frame;
              uc_q <= psc_ent[h].pcd;
              rights_q <= '{rw: psc_ent[h].rw, us: psc_ent[h].us, nx: psc_ent[h].nx};
              psc_lvl_q <= 3'(h + 2);
            end else begin
              lvl_q <= 3'd4;
              top_q <= 3'd4;
              table_q <= cr3[PA_W-1:12];
              uc_q <= cr3[B_PCD] && !cr4_pcide;
              rights_q <= '{rw: 1'b1, us: 1'b1, nx: 1'b0};
              psc_lvl_q <= '0;
            end
          end else cnt_q <= cnt_q + 1'b1;
        end
        W_RD: if (mreq_ready) st_q <= W_RDW;
        W_RDW:
        if (mrsp_valid) begin
          if (!rd[B_P]) begin
            fault_q <= 1'b1;
            ec_q <= acc_ec;
            st_q <= W_DONE;
          end else if ((rd & rsvd_mask(rd, lvl_q)) != 0) begin
            fault_q <= 1'b1;
            ec_q <= EC_P | EC_RSVD | acc_ec;
            st_q <= W_DONE;
          end else begin
            ref_pa[lvl_q] <= mreq_addr;
            ref_val[lvl_q] <= rd;
            ref_uc[lvl_q] <= uc_q;
            ref_in[lvl_q] <= rights_q;
            ref_out[lvl_q] <= rd_rights;
            rights_q <= rd_rights;
            if (rd_leaf) begin
              leaf_lvl_q <= lvl_q;
              st_q <= W_CHK;
            end else begin
              table_q <= rd[PA_W-1:12];
              uc_q <= rd[B_PCD];
              lvl_q <= lvl_q - 3'd1;
              st_q <= W_RD;
            end
          end
        end
        W_CHK:
        if (perm_fault) begin
          fault_q <= 1'b1;
          ec_q <= EC_P | acc_ec;
          st_q <= W_DONE;
        end else st_q <= need_ad ? W_AD : W_DONE;
        W_AD: if (mreq_ready) st_q <= W_ADW;
        W_ADW:
        if (mrsp_valid) begin
          if (rd == ref_val[ad_lvl]) begin
            ref_val[ad_lvl] <= ref_val[ad_lvl] | ad_bits;
            st_q <= W_CHK;
          end else begin
            // The entry changed under the walk: read it again, and everything below it.
            lvl_q <= ad_lvl;
            table_q <= ref_pa[ad_lvl][PA_W-1:12];
            uc_q <= ref_uc[ad_lvl];
            rights_q <= ref_in[ad_lvl];
            st_q <= W_RD;
          end
        end
        W_DONE: begin
          if (done) st_q <= W_IDLE;
          else begin
            cnt_q <= '0;
            st_q <= W_PSC;
          end
        end
        W_DA_RD: if (mreq_ready) st_q <= W_DA_RDW;
        W_DA_RDW:
        if (mrsp_valid) begin
          da_val_q <= rd;
          if (!rd[B_P] || !rd[B_RW] || (rd[PA_W-1:12] & da_mask(da_size_q)) != da_frame_q) begin
            redo_q <= 1'b1;
            st_q <= W_DONE;
          end else st_q <= W_DA_CAS;
        end
        W_DA_CAS: if (mreq_ready) st_q <= W_DA_CASW;
        W_DA_CASW: if (mrsp_valid) st_q <= rd == da_val_q ? W_DONE : W_DA_RD;
        default: st_q <= W_IDLE;
      endcase
    end
  end

  function automatic logic [PA_W-13:0] da_mask(input logic [1:0] s);
    return s == 2'd2 ? {{(PA_W - 30) {1'b1}}, 18'h0} : s == 2'd1 ? {{(PA_W - 21) {1'b1}}, 9'h0} : '1;
  endfunction

endmodule
