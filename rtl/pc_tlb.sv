// A TLB with one array per page size (4 KiB, 2 MiB, 1 GiB; an array of 0 entries is absent), looked up
// in that order (Intel SDM Vol. 3A §4.10.2). Addresses enter as virtual page numbers (bits 47:12).
module pc_tlb
  import pc_mmu_pkg::*;
#(
    parameter int E4K = 64,
    parameter int W4K = 4,
    parameter int E2M = 32,
    parameter int W2M = 4,
    parameter int E1G = 0,
    parameter int W1G = 4,
    parameter int REPL = REPL_LRU
) (
    input logic clk,
    input logic rst_n,
    output logic [2:0] holds,  // bit s: this TLB caches page size s (0 4K, 1 2M, 2 1G)
    input logic [35:0] lk_vpn,
    input logic [11:0] lk_pcid,
    output logic lk_hit,
    output logic [1:0] lk_size,
    output entry_t lk_entry,
    output logic [11:0] lk_entry_pcid,
    input logic lk_touch,
    input logic lk_set_dirty,
    input logic fill_valid,
    input logic [1:0] fill_size,
    input logic [35:0] fill_vpn,
    input logic [11:0] fill_pcid,
    input entry_t fill_entry,
    input logic inv_valid,
    input inv_scope_e inv_scope,
    input logic inv_keep_global,
    input logic [35:0] inv_vpn,
    input logic [11:0] inv_pcid
);
  localparam int E[3] = '{E4K, E2M, E1G};
  localparam int W[3] = '{W4K, W2M, W1G};

  function automatic logic [TAG_W-1:0] tag_of(input logic [35:0] vpn, input int s);
    return vpn >> (9 * s);
  endfunction

  logic [2:0] hit;
  entry_t ent[3];
  logic [11:0] ent_pcid[3];
  logic [2:0] first;  // the array whose hit counts: the smallest page size that hits
  assign first = hit[0] ? 3'b001 : hit[1] ? 3'b010 : hit[2] ? 3'b100 : 3'b000;
  assign lk_hit = |hit;
  assign lk_size = hit[0] ? 2'd0 : hit[1] ? 2'd1 : 2'd2;
  assign lk_entry = hit[0] ? ent[0] : hit[1] ? ent[1] : ent[2];
  assign lk_entry_pcid = hit[0] ? ent_pcid[0] : hit[1] ? ent_pcid[1] : ent_pcid[2];

  for (genvar s = 0; s < 3; s++) begin : g_size
    if (E[s] > 0) begin : g_arr
      assign holds[s] = 1'b1;
      pc_tlb_array #(
          .ENTRIES(E[s]),
          .WAYS(W[s]),
          .REPL(REPL)
      ) u_arr (
          .clk,
          .rst_n,
          .lk_tag(tag_of(lk_vpn, s)),
          .lk_pcid,
          .lk_hit(hit[s]),
          .lk_entry(ent[s]),
          .lk_entry_pcid(ent_pcid[s]),
          .lk_touch(lk_touch && first[s]),
          .lk_set_dirty(lk_set_dirty && first[s]),
          .fill_valid(fill_valid && fill_size == 2'(s)),
          .fill_tag(tag_of(fill_vpn, s)),
          .fill_pcid,
          .fill_entry,
          .inv_valid,
          .inv_scope,
          .inv_keep_global,
          .inv_tag(tag_of(inv_vpn, s)),
          .inv_pcid
      );
    end else begin : g_none
      assign holds[s] = 1'b0;
      assign hit[s] = 1'b0;
      assign ent[s] = '0;
      assign ent_pcid[s] = '0;
      logic unused_first;
      assign unused_first = first[s];
    end
  end

endmodule
