// Translation unit of one x86-64 core: L1 DTLB and ITLB, a unified STLB (each with arrays for 4 KiB,
// 2 MiB and 1 GiB pages), and a page walker with paging-structure caches (Intel SDM Vol. 3A §4.5-4.10).
// Every access is a CPL-3 access with EFER.NXE=1; 4-level paging. Interfaces: valid/ready translation
// request and response, the walker's valid/ready memory port (read, compare-exchange), invalidations.
module pc_mmu
  import pc_mmu_pkg::*;
#(
    parameter int DTLB_4K_E = 64,
    parameter int DTLB_4K_W = 4,
    parameter int DTLB_2M_E = 32,
    parameter int DTLB_2M_W = 4,
    parameter int DTLB_1G_E = 0,
    parameter int DTLB_1G_W = 4,
    parameter int ITLB_4K_E = 128,
    parameter int ITLB_4K_W = 4,
    parameter int ITLB_2M_E = 7,
    parameter int ITLB_2M_W = 7,
    parameter int ITLB_1G_E = 0,
    parameter int ITLB_1G_W = 4,
    parameter int STLB_4K_E = 512,
    parameter int STLB_4K_W = 4,
    parameter int STLB_2M_E = 0,
    parameter int STLB_2M_W = 4,
    parameter int STLB_1G_E = 0,
    parameter int STLB_1G_W = 4,
    parameter int PSC_PML4_E = 4,
    parameter int PSC_PDPT_E = 8,
    parameter int PSC_PD_E = 32,
    parameter int REPL = REPL_LRU,
    parameter bit INJECT_BUG = 1'b0  // test only (see pc_walker)
) (
    input logic clk,
    input logic rst_n,
    // Architectural state and straps; change only while no request is in flight.
    input logic [63:0] cr3,
    input logic cr4_pge,
    input logic cr4_pcide,
    input logic cfg_dirty_rmw,  // write hitting a clean entry: 1 compare-exchange D in, 0 drop it and walk
    input logic [7:0] cfg_l1_lat,  // L1 TLB lookup cycles (at least 1)
    input logic [7:0] cfg_stlb_lat,  // STLB lookup cycles (at least 1)
    input logic [7:0] cfg_psc_lat,  // PSC lookup cycles (at least 1)
    // Translation request.
    input logic req_valid,
    output logic req_ready,
    input logic [47:0] req_va,
    input acc_e req_acc,
    // Response: one cycle, held until rsp_ready.
    output logic rsp_valid,
    input logic rsp_ready,
    output logic rsp_fault,
    output logic [4:0] rsp_ec,
    output logic [PA_W-1:0] rsp_pa,
    output logic rsp_l1_hit,  // how it was answered (for counters)
    output logic rsp_stlb_hit,
    output logic rsp_walk,
    output logic rsp_dirty_assist,
    output logic [2:0] rsp_psc_level,
    output logic walk_active,  // the walker is busy (walk latency)
    output logic walk_restart,  // pulse: an invalidation sent a walk back to the top
    output logic [2:0] walk_psc_level,  // PSC the walk in flight started below (counted per attempt)
    // Walker memory port.
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
    // Invalidation, one per cycle, always accepted; TLBs and PSCs each get their own scope.
    input logic inv_valid,
    input inv_scope_e inv_scope,
    input logic inv_keep_global,
    input inv_scope_e inv_psc_scope,
    input logic [35:0] inv_vpn,  // linear-address bits 47:12
    input logic [11:0] inv_pcid
);
  typedef enum logic [3:0] {
    T_IDLE,
    T_L1,
    T_STLB,
    T_WALK,
    T_DA,
    T_DASET,
    T_FINV,
    T_RWINV,
    T_RSP
  } state_e;

  state_e st_q;
  logic [7:0] cnt_q;
  logic [35:0] vpn_q;
  logic [11:0] off_q;
  acc_e acc_q;
  logic [11:0] pcid_q;
  logic fault_q;
  logic [4:0] ec_q;
  logic [PA_W-1:0] pa_q;
  logic l1_hit_q, stlb_hit_q, walk_q, da_q;
  logic [2:0] psc_lvl_q;

  // In T_IDLE the L1 TLB is looked up with the request itself: with cfg_l1_lat = 0 a hit answers in the
  // cycle of the request (the lookup runs beside the data-cache access, as in a real L1 TLB).
  wire idle = st_q == T_IDLE;
  wire [11:0] cur_pcid = cr4_pcide ? cr3[11:0] : 12'h0;
  wire [35:0] lk_vpn = idle ? req_va[47:12] : vpn_q;
  wire [11:0] lk_pcid = idle ? cur_pcid : pcid_q;
  acc_e lk_acc;
  assign lk_acc = idle ? req_acc : acc_q;
  wire write = lk_acc == ACC_WRITE;
  wire fetch = lk_acc == ACC_FETCH;
  wire [4:0] acc_ec = EC_U | (write ? EC_W : 5'h0) | (fetch ? EC_I : 5'h0);

  // ---- TLBs ----
  logic [2:0] d_holds, i_holds, s_holds;
  logic d_hit, i_hit, s_hit;
  logic [1:0] d_size, i_size, s_size;
  entry_t d_ent, i_ent, s_ent;
  logic [11:0] d_pcid, i_pcid, s_pcid;
  logic [23:0] unused_l1_pcid;
  assign unused_l1_pcid = {d_pcid, i_pcid};  // an L1 copy of an STLB entry needs the STLB entry's PCID only
  logic d_touch, i_touch, s_touch, d_dirty, s_dirty;
  logic d_fill, i_fill, s_fill;
  logic [1:0] fill_size;
  logic [11:0] l1_fill_pcid;
  entry_t fill_ent, l1_fill_ent;
  // Internal invalidation (a fault drops the address; a dirty re-walk drops the clean entry).
  logic iv_d, iv_i, iv_s, iv_psc;
  logic tlb_inv_d, tlb_inv_i, tlb_inv_s;
  inv_scope_e tlb_inv_scope;
  logic tlb_inv_keep;
  logic [35:0] tlb_inv_vpn;
  logic [11:0] tlb_inv_pcid;
  assign tlb_inv_d = inv_valid || iv_d;
  assign tlb_inv_i = inv_valid || iv_i;
  assign tlb_inv_s = inv_valid || iv_s;
  assign tlb_inv_scope = inv_valid ? inv_scope : INV_ADDR;
  assign tlb_inv_keep = inv_valid ? inv_keep_global : 1'b0;
  assign tlb_inv_vpn = inv_valid ? inv_vpn : vpn_q;
  assign tlb_inv_pcid = inv_valid ? inv_pcid : pcid_q;
  // A #PF also drops the PSC entries for the faulting address in the current PCID (SDM §4.10.4.1).
  logic psc_inv;
  inv_scope_e psc_inv_scope;
  logic [35:0] psc_inv_vpn;
  logic [11:0] psc_inv_pcid;
  assign psc_inv = inv_valid || iv_psc;
  assign psc_inv_scope = inv_valid ? inv_psc_scope : INV_ADDR;
  assign psc_inv_vpn = inv_valid ? inv_vpn : vpn_q;
  assign psc_inv_pcid = inv_valid ? inv_pcid : pcid_q;

  pc_tlb #(
      .E4K(DTLB_4K_E), .W4K(DTLB_4K_W), .E2M(DTLB_2M_E), .W2M(DTLB_2M_W), .E1G(DTLB_1G_E), .W1G(DTLB_1G_W),
      .REPL(REPL)
  ) u_dtlb (
      .clk, .rst_n, .holds(d_holds), .lk_vpn(lk_vpn), .lk_pcid(lk_pcid), .lk_hit(d_hit), .lk_size(d_size),
      .lk_entry(d_ent), .lk_entry_pcid(d_pcid), .lk_touch(d_touch), .lk_set_dirty(d_dirty), .fill_valid(d_fill),
      .fill_size, .fill_vpn(vpn_q), .fill_pcid(l1_fill_pcid), .fill_entry(l1_fill_ent), .inv_valid(tlb_inv_d),
      .inv_scope(tlb_inv_scope), .inv_keep_global(tlb_inv_keep), .inv_vpn(tlb_inv_vpn), .inv_pcid(tlb_inv_pcid)
  );
  pc_tlb #(
      .E4K(ITLB_4K_E), .W4K(ITLB_4K_W), .E2M(ITLB_2M_E), .W2M(ITLB_2M_W), .E1G(ITLB_1G_E), .W1G(ITLB_1G_W),
      .REPL(REPL)
  ) u_itlb (
      .clk, .rst_n, .holds(i_holds), .lk_vpn(lk_vpn), .lk_pcid(lk_pcid), .lk_hit(i_hit), .lk_size(i_size),
      .lk_entry(i_ent), .lk_entry_pcid(i_pcid), .lk_touch(i_touch), .lk_set_dirty(1'b0), .fill_valid(i_fill),
      .fill_size, .fill_vpn(vpn_q), .fill_pcid(l1_fill_pcid), .fill_entry(l1_fill_ent), .inv_valid(tlb_inv_i),
      .inv_scope(tlb_inv_scope), .inv_keep_global(tlb_inv_keep), .inv_vpn(tlb_inv_vpn), .inv_pcid(tlb_inv_pcid)
  );
  pc_tlb #(
      .E4K(STLB_4K_E), .W4K(STLB_4K_W), .E2M(STLB_2M_E), .W2M(STLB_2M_W), .E1G(STLB_1G_E), .W1G(STLB_1G_W),
      .REPL(REPL)
  ) u_stlb (
      .clk, .rst_n, .holds(s_holds), .lk_vpn(lk_vpn), .lk_pcid(lk_pcid), .lk_hit(s_hit), .lk_size(s_size),
      .lk_entry(s_ent), .lk_entry_pcid(s_pcid), .lk_touch(s_touch), .lk_set_dirty(s_dirty), .fill_valid(s_fill),
      .fill_size, .fill_vpn(vpn_q), .fill_pcid(pcid_q), .fill_entry(fill_ent), .inv_valid(tlb_inv_s),
      .inv_scope(tlb_inv_scope), .inv_keep_global(tlb_inv_keep), .inv_vpn(tlb_inv_vpn), .inv_pcid(tlb_inv_pcid)
  );

  // ---- walker ----
  logic w_start, w_start_da, w_busy, w_done, w_fault, w_redo;
  logic [4:0] w_ec;
  entry_t w_leaf;
  logic [1:0] w_size;
  logic [2:0] w_psc_level;
  pc_walker #(
      .PML4_E(PSC_PML4_E), .PDPT_E(PSC_PDPT_E), .PD_E(PSC_PD_E), .REPL(REPL), .INJECT_BUG(INJECT_BUG)
  ) u_walker (
      .clk, .rst_n, .cfg_psc_lat, .start(w_start), .start_da(w_start_da), .vpn(lk_vpn), .acc(lk_acc), .pcid(lk_pcid),
      .cr3, .cr4_pge, .cr4_pcide, .da_leaf_pa(hit_ent.leaf_pa), .da_frame(hit_ent.frame), .da_size(hit_size),
      .busy(w_busy), .done(w_done), .fault(w_fault), .ec(w_ec), .leaf(w_leaf), .leaf_size(w_size),
      .da_redo(w_redo), .psc_level(w_psc_level), .restart(walk_restart), .mreq_valid, .mreq_ready, .mreq_op,
      .mreq_addr, .mreq_wdata, .mreq_cmp, .mreq_level, .mreq_uc, .mrsp_valid, .mrsp_rdata,
      .inv_valid(psc_inv), .inv_scope(psc_inv_scope), .inv_vpn(psc_inv_vpn), .inv_pcid(psc_inv_pcid)
  );
  assign walk_active = w_busy;
  assign walk_psc_level = w_psc_level;

  // ---- lookup outcome in T_L1 / T_STLB ----
  wire in_l1 = (idle && req_valid && cfg_l1_lat == 8'd0) || (st_q == T_L1 && cnt_q + 8'd1 >= cfg_l1_lat);
  wire in_stlb = st_q == T_STLB && cnt_q + 8'd1 >= cfg_stlb_lat;
  wire l1_hit = fetch ? i_hit : d_hit;
  entry_t hit_ent;
  logic [1:0] hit_size;
  assign hit_ent = in_stlb ? s_ent : fetch ? i_ent : d_ent;
  assign hit_size = in_stlb ? s_size : fetch ? i_size : d_size;
  logic [1:0] unused_hit;
  assign unused_hit = {hit_ent.glob, hit_ent.pcd};  // G matters only when filling, PCD only in PSCs
  wire hit_now = (in_l1 && l1_hit) || (in_stlb && s_hit);
  wire hit_perm_fault = !hit_ent.us || (write && !hit_ent.rw) || (fetch && hit_ent.nx);
  wire hit_clean_write = write && !hit_ent.dirty;
  wire fast_hit = idle && in_l1 && l1_hit && !hit_perm_fault && !hit_clean_write;
  wire [PA_W-1:0] hit_pa = pa_of(hit_ent.frame, hit_size, lk_vpn[17:0], idle ? req_va[11:0] : off_q);

  // Page base | the offset bits of the page size.
  function automatic logic [PA_W-1:0] pa_of(input logic [PA_W-13:0] frame, input logic [1:0] s,
                                            input logic [17:0] vp, input logic [11:0] off);
    logic [PA_W-13:0] low;
    low = s == 2'd2 ? (PA_W - 12)'(vp) : s == 2'd1 ? (PA_W - 12)'(vp[8:0]) : '0;
    return {frame | low, off};
  endfunction

  always_comb begin
    d_touch = 1'b0;
    i_touch = 1'b0;
    s_touch = 1'b0;
    d_dirty = 1'b0;
    s_dirty = 1'b0;
    d_fill = 1'b0;
    i_fill = 1'b0;
    s_fill = 1'b0;
    fill_size = w_size;
    fill_ent = w_leaf;
    l1_fill_ent = w_leaf;
    l1_fill_pcid = pcid_q;
    iv_d = 1'b0;
    iv_i = 1'b0;
    iv_s = 1'b0;
    iv_psc = 1'b0;
    w_start = 1'b0;
    w_start_da = 1'b0;
    case (st_q)
      T_IDLE, T_L1:
      if (in_l1 && l1_hit) begin
        d_touch = !fetch;
        i_touch = fetch;
      end
      T_STLB:
      if (in_stlb && s_hit) begin
        s_touch = 1'b1;
        // Copy the STLB entry into the L1 TLB when that one caches the page size.
        fill_size = s_size;
        l1_fill_ent = s_ent;
        l1_fill_pcid = s_pcid;
        d_fill = !fetch && d_holds[s_size];
        i_fill = fetch && i_holds[s_size];
      end else if (in_stlb) w_start = 1'b1;
      T_WALK:
      if (w_done && !w_fault) begin
        d_fill = !fetch && d_holds[w_size];
        i_fill = fetch && i_holds[w_size];
        s_fill = s_holds[w_size];
      end
      T_DASET: begin
        d_touch = 1'b1;
        d_dirty = 1'b1;
        s_touch = 1'b1;
        s_dirty = 1'b1;
      end
      T_FINV:
      if (!inv_valid) begin
        iv_d = 1'b1;
        iv_i = 1'b1;
        iv_s = 1'b1;
        iv_psc = 1'b1;
      end
      T_RWINV:
      if (!inv_valid) begin
        iv_d = 1'b1;
        iv_s = 1'b1;
        w_start = 1'b1;
      end
      default: ;
    endcase
    if (hit_now && !hit_perm_fault && hit_clean_write && cfg_dirty_rmw)
      w_start_da = 1'b1;
    if (w_start_da) w_start = 1'b1;
  end

  assign req_ready = idle;
  assign rsp_valid = st_q == T_RSP || fast_hit;
  assign rsp_fault = !fast_hit && fault_q;
  assign rsp_ec = fast_hit ? 5'h0 : ec_q;
  assign rsp_pa = fast_hit ? hit_pa : pa_q;
  assign rsp_l1_hit = fast_hit || l1_hit_q;
  assign rsp_stlb_hit = !fast_hit && stlb_hit_q;
  assign rsp_walk = !fast_hit && walk_q;
  assign rsp_dirty_assist = !fast_hit && da_q;
  assign rsp_psc_level = fast_hit ? 3'd0 : psc_lvl_q;

  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      st_q <= T_IDLE;
      cnt_q <= '0;
      fault_q <= 1'b0;
    end else begin
      case (st_q)
        T_IDLE, T_L1, T_STLB: begin
          if (idle && req_valid) begin
            vpn_q <= req_va[47:12];
            off_q <= req_va[11:0];
            acc_q <= req_acc;
            pcid_q <= cur_pcid;
            cnt_q <= '0;
            fault_q <= 1'b0;
            ec_q <= '0;
            l1_hit_q <= 1'b0;
            stlb_hit_q <= 1'b0;
            walk_q <= 1'b0;
            da_q <= 1'b0;
            psc_lvl_q <= '0;
            if (!in_l1) st_q <= T_L1;
          end else if (!idle && !(in_l1 || in_stlb)) cnt_q <= cnt_q + 1'b1;
          if (fast_hit) begin
            // Answered in this cycle; held in T_RSP only if the consumer is not ready.
            l1_hit_q <= 1'b1;
            pa_q <= hit_pa;
            if (!rsp_ready) st_q <= T_RSP;
          end else if (hit_now) begin
            l1_hit_q <= in_l1;
            stlb_hit_q <= in_stlb;
            pa_q <= hit_pa;
            if (hit_perm_fault) begin
              // A #PF drops the TLB entries for the address (SDM §4.10.4.2); nothing is filled.
              fault_q <= 1'b1;
              ec_q <= EC_P | acc_ec;
              st_q <= T_FINV;
            end else if (hit_clean_write) begin
              da_q <= 1'b1;
              st_q <= cfg_dirty_rmw ? T_DA : T_RWINV;
            end else st_q <= T_RSP;
          end else if (in_l1) begin
            cnt_q <= '0;
            st_q <= T_STLB;
          end else if (in_stlb) begin
            walk_q <= 1'b1;
            st_q <= T_WALK;
          end
        end
        T_WALK:
        if (w_done) begin
          psc_lvl_q <= w_psc_level;
          if (w_fault) begin
            fault_q <= 1'b1;
            ec_q <= w_ec;
            st_q <= T_FINV;
          end else begin
            pa_q <= pa_of(w_leaf.frame, w_size, vpn_q[17:0], off_q);
            st_q <= T_RSP;
          end
        end
        T_DA:
        if (w_done) st_q <= w_redo ? T_RWINV : T_DASET;
        T_DASET: st_q <= T_RSP;
        T_FINV: if (!inv_valid) st_q <= T_RSP;
        T_RWINV:
        if (!inv_valid) begin
          walk_q <= 1'b1;
          st_q <= T_WALK;
        end
        T_RSP: if (rsp_ready) st_q <= T_IDLE;
        default: st_q <= T_IDLE;
      endcase
    end
  end

endmodule
