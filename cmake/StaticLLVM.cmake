# Replace the `LLVM` dylib entry in the link interface of imported MLIR/LLVM
# targets by the static LLVM component archives.
llvm_map_components_to_libnames(HELION_STATIC_LLVM_LIBS
  Support Demangle Remarks Core BinaryFormat BitstreamReader TargetParser)

function(helion_unshare_llvm target)
  if(NOT TARGET ${target})
    return()
  endif()
  get_target_property(libs ${target} INTERFACE_LINK_LIBRARIES)
  if(NOT libs)
    return()
  endif()
  set(new_libs)
  foreach(lib IN LISTS libs)
    if(lib STREQUAL "LLVM" OR lib STREQUAL "$<LINK_ONLY:LLVM>")
      list(APPEND new_libs ${HELION_STATIC_LLVM_LIBS})
    else()
      list(APPEND new_libs ${lib})
    endif()
  endforeach()
  set_target_properties(${target} PROPERTIES INTERFACE_LINK_LIBRARIES "${new_libs}")
endfunction()

get_property(mlir_all_libs GLOBAL PROPERTY MLIR_ALL_LIBS)
foreach(t IN LISTS MLIR_EXPORTED_TARGETS LLVM_EXPORTED_TARGETS mlir_all_libs)
  helion_unshare_llvm(${t})
endforeach()
